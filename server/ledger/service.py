"""The rules of the ledger: turn a batch of scans into moves, in one transaction.

Every stock change is a move from one location to another (virtual ones included), so the
sum over all locations per product stays zero. The caller owns the transaction (the
writer thread's connection); this module writes through the repository and never commits.

A batch is processed in a fixed number of statements: lock the ledger head (which
serialises writers, so ``seq`` follows commit order without gaps), load what the scans
refer to, apply each scan in order against in-memory quants, then write moves, quants and
idempotency records with ``executemany``. A rejected scan changes nothing and does not
stop the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Row

from scanner import GS1Data
from server import errors
from server.auth.principal import Principal
from server.codes.resolver import CodeIndex, resolve
from server.kit.quantity import ZERO, has_valid_places
from server.ledger.messages import move_message
from server.ledger.repository import LedgerWriteRepository, QuantRow
from server.models import VIRTUAL_KINDS, LocationKind, MoveKind, Tracking
from server.scans.schemas import ScanIn, ScanResult

QuantKey = tuple[int, int, int | None]


class Route(StrEnum):
    """How a document posts a scan, where the scan type alone would mean something else.

    Set by the services of counts, transfers and adjustments, never from the wire.
    """

    # count: ``qty`` is the signed variance a count session found (location <-> loss),
    # applied to whatever the book says now: stock may have moved since it was counted.
    count_delta = "count_delta"
    # transfer: location -> its warehouse's in-transit location (shipping to another one).
    to_transit = "to_transit"
    # transfer: ``counterpart`` (another warehouse's in-transit location) -> location.
    from_transit = "from_transit"
    # adjust: the in-transit ``location`` -> its warehouse's inventory loss (a shortage).
    transit_loss = "transit_loss"
    # receive: its warehouse's customer location -> ``location``, a returns location (goods
    # a customer sends back, on a return authorisation).
    from_customer = "from_customer"


@dataclass(frozen=True, slots=True)
class Cap:
    """A document's limit on what its postings may move in all: a purchase order line's
    ordered quantity plus tolerance, a pick line's quantity.

    What was posted under ``key`` (``posting_cap``) is read, checked and counted in the
    writer's transaction, under the ledger head's lock that serialises every writer of every
    process: two docks receiving one line at once cannot both pass it, and a replayed scan,
    answered ``duplicate``, counts nothing. Beyond the limit the scan is rejected with
    ``error`` (409 ``over_receipt`` by default).
    """

    key: str  # one per document line, e.g. "PO-000001:3"
    limit: Decimal
    label: str = ""  # how a message names the line ("PO-000001 line 3"); the key if empty
    error: type[errors.AppError] = errors.OverReceipt


@dataclass(slots=True)
class PendingScan:
    scan: ScanIn
    principal: Principal
    route: Route | None = None
    counterpart: str | None = None  # a location code the route names (``from_transit``)
    # The document that posts this already checked the caller's right to (a counter's
    # count correction, an approved adjustment): skip the scan-type role check.
    authorized: bool = False
    caps: tuple[Cap, ...] = ()  # set by documents, never from the wire


@dataclass(slots=True)
class BatchOutcome:
    results: list[ScanResult]
    messages: list[dict[str, Any]] = field(default_factory=list)  # for the live stream
    last_seq: int = 0


@dataclass(slots=True)
class Intent:
    """A scan resolved to what it means, before stock is touched."""

    kind: MoveKind
    product: Row[Any]
    qty: Decimal
    location: Row[Any]  # the physical location the scan is about
    to_location: Row[Any] | None  # pick to staging, transfer destination
    lot: str | None
    expiry: date | None
    route: Route | None = None
    counterpart: Row[Any] | None = None  # the other warehouse's in-transit location


@dataclass(slots=True)
class Lookups:
    codes: CodeIndex = field(default_factory=CodeIndex)  # what the scanned codes refer to
    locations: dict[str, Row[Any]] = field(default_factory=dict)  # by code / barcode
    locations_by_id: dict[int, Row[Any]] = field(default_factory=dict)
    virtual: dict[tuple[int, str], Row[Any]] = field(default_factory=dict)  # (wh, kind)
    warehouses: dict[int, str] = field(default_factory=dict)
    lots: dict[tuple[int, str], LotRef] = field(default_factory=dict)
    lots_by_id: dict[int, LotRef] = field(default_factory=dict)


class LedgerService:
    def __init__(self, repo: LedgerWriteRepository, *, max_qty: int) -> None:
        self.repo = repo
        self.max_qty = Decimal(max_qty)
        self.today = datetime.now(UTC).date()  # a lot is expired once its expiry has passed

    def apply_batch(self, items: Sequence[PendingScan]) -> BatchOutcome:
        head = self.repo.lock_head()
        done = self.repo.applied_events([str(i.scan.event_id) for i in items])
        look = self._lookups(items)

        intents: list[Intent | ScanResult | None] = []
        for item in items:
            if str(item.scan.event_id) in done:
                intents.append(None)
                continue
            try:
                intents.append(self._resolve(item, look))
            except errors.AppError as exc:
                intents.append(_rejected(item, exc))

        resolved = [i for i in intents if isinstance(i, Intent)]
        self._load_lots(resolved, look)
        quants = self._load_quants(resolved, look)
        cap_keys = sorted({c.key for item in items for c in item.caps})
        caps_before = self.repo.cap_usage(cap_keys) if cap_keys else {}
        caps = dict(caps_before)

        outcome = BatchOutcome(results=[], last_seq=head)
        applied: dict[str, ScanResult] = {}
        moves: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        self.today = now.date()
        for item, intent in zip(items, intents, strict=True):
            eid = str(item.scan.event_id)
            if eid in done or eid in applied:
                original = applied.get(eid) or ScanResult.model_validate_json(done[eid])
                outcome.results.append(original.model_copy(update={"status": "duplicate"}))
                continue
            if isinstance(intent, ScanResult):
                outcome.results.append(intent)
                continue
            assert intent is not None
            try:
                result, move = self._post(item, intent, look, quants, outcome.last_seq, caps)
            except errors.AppError as exc:
                outcome.results.append(_rejected(item, exc))
                continue
            if move is not None:
                outcome.last_seq = move["seq"]
                move["applied_at"] = now
                moves.append(move)
            applied[eid] = result
            outcome.results.append(result)
            events.append(
                {
                    "event_id": eid,
                    "seq": result.seq,
                    "result": result.model_dump_json(),
                    "applied_at": now,
                }
            )

        self.repo.insert_moves([_move_row(m) for m in moves])
        self.repo.save_quants(quants.values(), outcome.last_seq)
        self.repo.insert_events(events)
        if caps != caps_before:
            self.repo.save_caps(
                {k: v for k, v in caps.items() if caps_before.get(k) != v},
                caps_before,
                outcome.last_seq,
            )
        if outcome.last_seq != head:
            self.repo.set_head(outcome.last_seq)
        outcome.messages = [move_message(m) for m in moves]
        return outcome

    # --- loading what a batch refers to ---
    def _lookups(self, items: Sequence[PendingScan]) -> Lookups:
        look = Lookups()
        refs: set[str] = set()
        bound: set[int] = set()
        for item in items:
            s = item.scan
            refs.update(r for r in (s.location, s.to_location, item.counterpart) if r)
            if item.principal.location_id is not None:
                bound.add(item.principal.location_id)
        look.codes = self.repo.code_index([item.scan.code for item in items])
        if refs or bound:
            for loc in self.repo.locations_with_virtual(sorted(refs), sorted(bound)):
                look.warehouses[loc.warehouse_id] = loc.warehouse_code
                if LocationKind(loc.kind).is_virtual:
                    look.virtual[(loc.warehouse_id, loc.kind)] = loc
                look.locations[loc.code] = loc
                if loc.barcode:
                    look.locations[loc.barcode] = loc
                look.locations_by_id[loc.id] = loc
        return look

    def _load_lots(self, intents: Sequence[Intent], look: Lookups) -> None:
        keys = sorted({(i.product.id, i.lot) for i in intents if i.lot is not None})
        if keys:
            for lot in self.repo.lots(keys):
                ref = LotRef(lot.id, lot.number, lot.expiry)
                look.lots[(lot.product_id, lot.number)] = look.lots_by_id[lot.id] = ref

    def _load_quants(self, intents: Sequence[Intent], look: Lookups) -> dict[QuantKey, QuantRow]:
        pairs: set[tuple[int, int]] = set()
        serial_lots: set[int] = set()
        for i in intents:
            pid = i.product.id
            pairs.add((pid, i.location.id))
            if i.to_location is not None:
                pairs.add((pid, i.to_location.id))
            wh = i.location.warehouse_id
            for kind in VIRTUAL_KINDS:
                v = look.virtual.get((wh, kind))
                if v is not None:
                    pairs.add((pid, v.id))
            if i.counterpart is not None:
                pairs.add((pid, i.counterpart.id))
            lot = look.lots.get((pid, i.lot)) if i.lot else None
            if lot is not None and i.product.tracking == Tracking.serial:
                serial_lots.add(lot.id)
        rows = self.repo.quants(sorted(pairs), sorted(serial_lots)) if pairs else []
        # Lots held where a scan named none: their numbers, for auto-selection.
        unknown = sorted({q.lot_id for q in rows if q.lot_id and q.lot_id not in look.lots_by_id})
        for row in self.repo.lots_by_ids(unknown) if unknown else []:
            look.lots_by_id[row.id] = LotRef(row.id, row.number, row.expiry)
        return {(q.product_id, q.location_id, q.lot_id): q for q in rows}

    # --- resolving one scan (pure: no writes) ---
    def _resolve(self, item: PendingScan, look: Lookups) -> Intent:
        s, who = item.scan, item.principal
        kind = s.type or who.scan_type
        if kind is None:
            raise errors.InvalidScan(
                "Say what the scan does: type is one of receive, pick, count, transfer, adjust."
            )
        if not item.authorized and not who.may_scan(kind):
            raise errors.Forbidden(f"{who.name} may not post {kind} scans.")
        code = resolve(s.code, look.codes)
        product, gs1 = code.product, code.gs1
        if product is None:
            raise code.not_a_product()
        if not product.active:
            raise errors.ProductInactive(f"Product {product.sku} is archived.")

        location = self._location(s.location, who, look, what="location")
        if location is None:
            raise errors.InvalidLocation("Scan a location first: this scan has none.")
        to_location = self._location(s.to_location, who, look, what="to_location", bound=False)
        counterpart = self._check_route(item, kind, location, look)
        if item.route == Route.transit_loss:
            who.check_warehouse(
                location.warehouse_id, look.warehouses.get(location.warehouse_id, "")
            )
        else:
            self._check_locations(kind, location, to_location, who, look, item.route)

        qty = self._qty(kind, s.qty, gs1, item.route)
        lot = s.lot or code.lot
        if product.tracking == Tracking.serial:
            lot = s.lot or code.serial or lot
            if kind == MoveKind.count and item.route is None:
                if qty not in (0, 1):
                    raise errors.InvalidQuantity("A serial number is counted as 0 or 1.")
            elif abs(qty) != 1:
                raise errors.InvalidQuantity(
                    f"{product.sku} is serial-tracked: scan each unit (quantity 1)."
                )
        elif product.tracking == Tracking.none:
            lot = None  # a GS1 label may carry a lot; an untracked product ignores it
        expiry = s.expiry or (gs1.expiry if gs1 else None)
        return Intent(
            kind, product, qty, location, to_location, lot, expiry, item.route, counterpart
        )

    def _check_route(
        self, item: PendingScan, kind: MoveKind, location: Row[Any], look: Lookups
    ) -> Row[Any] | None:
        """What a document's route needs; returns the counterpart location, if any."""
        route = item.route
        wanted = {
            Route.count_delta: MoveKind.count,
            Route.to_transit: MoveKind.transfer,
            Route.from_transit: MoveKind.transfer,
            Route.transit_loss: MoveKind.adjust,
            Route.from_customer: MoveKind.receive,
        }
        if route is None:
            return None
        if wanted[route] != kind:
            raise errors.InvalidScan(f"A {route} posting is a {wanted[route]} scan, not {kind}.")
        if route == Route.transit_loss and location.kind != LocationKind.in_transit:
            raise errors.InvalidLocation(f"{location.code} is not an in-transit location.")
        if route == Route.from_customer and location.kind != LocationKind.returns:
            raise errors.InvalidLocation(f"{location.code} is not a returns location.")
        if route != Route.from_transit:
            return None
        other = look.locations.get(item.counterpart or "")
        if other is None or other.kind != LocationKind.in_transit:
            raise errors.InvalidLocation("Receiving from transit needs an in-transit location.")
        if other.warehouse_id == location.warehouse_id:
            raise errors.InvalidLocation("A transfer is received in another warehouse.")
        return other

    def _location(
        self, ref: str | None, who: Principal, look: Lookups, *, what: str, bound: bool = True
    ) -> Row[Any] | None:
        if ref is None:
            if bound and who.location_id is not None:
                return look.locations_by_id.get(who.location_id)
            return None
        loc = look.locations.get(ref)
        if loc is None or not loc.active:
            raise errors.UnknownLocation(f"No active location has the code {ref!r}.", field=what)
        return loc

    def _check_locations(
        self,
        kind: MoveKind,
        loc: Row[Any],
        to: Row[Any] | None,
        who: Principal,
        look: Lookups,
        route: Route | None = None,
    ) -> None:
        for place in (loc, to):
            if place is None:
                continue
            if LocationKind(place.kind).is_virtual:
                raise errors.InvalidLocation(
                    f"{place.code} is a virtual location; scan a bin, dock or staging location."
                )
            who.check_warehouse(place.warehouse_id, look.warehouses.get(place.warehouse_id, ""))
        if route is not None and to is not None:
            raise errors.InvalidLocation(f"A {route} posting takes no to_location.")
        if kind == MoveKind.transfer and to is None and route is None:
            raise errors.InvalidLocation("A transfer needs a to_location.")
        if to is not None:
            if kind not in (MoveKind.transfer, MoveKind.pick):
                raise errors.InvalidLocation(f"A {kind} scan takes no to_location.")
            if to.id == loc.id:
                raise errors.InvalidLocation("from and to are the same location.")
            if to.warehouse_id != loc.warehouse_id:
                raise errors.InvalidLocation(
                    "Both locations must be in one warehouse; use an inter-warehouse transfer."
                )

    def _qty(
        self,
        kind: MoveKind,
        given: Decimal | None,
        gs1: GS1Data | None,
        route: Route | None = None,
    ) -> Decimal:
        qty = given if given is not None else (gs1.quantity if gs1 and gs1.quantity else None)
        qty = Decimal(1) if qty is None else qty
        if not qty.is_finite() or not has_valid_places(qty):
            raise errors.InvalidQuantity("A quantity is a number with at most 3 decimals.")
        if abs(qty) > self.max_qty:
            raise errors.InvalidQuantity(f"{qty} is more than one scan may move ({self.max_qty}).")
        if route == Route.count_delta:
            if qty == 0:
                raise errors.InvalidQuantity("A count correction of 0 changes nothing.")
        elif kind == MoveKind.count:
            if qty < 0:
                raise errors.InvalidQuantity("A counted quantity cannot be negative.")
        elif kind == MoveKind.adjust:
            if qty == 0:
                raise errors.InvalidQuantity("An adjustment of 0 changes nothing.")
        elif qty <= 0:
            raise errors.InvalidQuantity(f"A {kind} quantity must be greater than 0.")
        return qty

    # --- posting one resolved scan against the in-memory quants ---
    def _post(
        self,
        item: PendingScan,
        it: Intent,
        look: Lookups,
        quants: dict[QuantKey, QuantRow],
        last_seq: int,
        caps: dict[str, Decimal],
    ) -> tuple[ScanResult, dict[str, Any] | None]:
        s, who = item.scan, item.principal
        pid, loc = it.product.id, it.location
        wh = loc.warehouse_id
        if item.caps:  # before anything is written (a new lot, say)
            _check_caps(item, it, caps)
        lot_id = self._lot_id(it, look, quants)

        def quant(place: Row[Any]) -> QuantRow:
            key = (pid, place.id, lot_id)
            if key not in quants:
                physical = not LocationKind(place.kind).is_virtual
                quants[key] = QuantRow(None, pid, place.id, lot_id, ZERO, physical)
            return quants[key]

        variance: Decimal | None = None
        if it.route == Route.to_transit:
            src, dst, qty = loc, self._virtual(wh, LocationKind.in_transit, look), it.qty
        elif it.route == Route.from_transit:
            assert it.counterpart is not None
            src, dst, qty = it.counterpart, loc, it.qty
        elif it.route == Route.transit_loss:
            src, dst, qty = loc, self._virtual(wh, LocationKind.inventory_loss, look), it.qty
        elif it.route == Route.count_delta:
            variance = it.qty
            loss = self._virtual(wh, LocationKind.inventory_loss, look)
            src, dst = (loss, loc) if variance > 0 else (loc, loss)
            qty = abs(variance)
        elif it.route == Route.from_customer:
            src, dst, qty = self._virtual(wh, LocationKind.customer, look), loc, it.qty
        elif it.kind == MoveKind.receive:
            src, dst, qty = self._virtual(wh, LocationKind.supplier, look), loc, it.qty
        elif it.kind == MoveKind.pick:
            dst = it.to_location or self._virtual(wh, LocationKind.customer, look)
            src, qty = loc, it.qty
        elif it.kind == MoveKind.transfer:
            assert it.to_location is not None
            src, dst, qty = loc, it.to_location, it.qty
        elif it.kind == MoveKind.count:
            variance = it.qty - quant(loc).qty
            loss = self._virtual(wh, LocationKind.inventory_loss, look)
            src, dst = (loss, loc) if variance > 0 else (loc, loss)
            qty = abs(variance)
        else:  # adjust
            if not s.reason:
                raise errors.ReasonRequired("An adjustment needs a reason (damage, loss, found…).")
            kind = (
                LocationKind.scrap
                if s.reason.lower().startswith("scrap")
                else (LocationKind.inventory_loss)
            )
            other = self._virtual(wh, kind, look)
            src, dst = (other, loc) if it.qty > 0 else (loc, other)
            qty = abs(it.qty)

        result = ScanResult(
            event_id=str(s.event_id),
            status="applied",
            type=it.kind,
            product=it.product.sku,
            lot=it.lot,
            qty=it.qty,
            location=loc.code,
            to_location=it.to_location.code if it.to_location is not None else None,
            variance=variance,
        )
        if qty == 0:  # a count that matches the book
            result.on_hand = quant(loc).qty
            return result, None

        q_src, q_dst = quant(src), quant(dst)
        holds_goods = src.kind == LocationKind.in_transit or not LocationKind(src.kind).is_virtual
        if holds_goods and not it.product.allow_negative and q_src.qty < qty:
            raise errors.InsufficientStock(
                f"Only {q_src.qty.normalize():f} of {it.product.sku}"
                f"{' lot ' + it.lot if it.lot else ''} at {src.code}; cannot take {qty:f}.",
                available=float(q_src.qty),
            )
        if it.product.tracking == Tracking.serial and LocationKind(src.kind).is_virtual:
            self._check_serial_free(it, lot_id, quants)
        lot = look.lots_by_id.get(lot_id) if lot_id is not None else None
        leaves = it.kind == MoveKind.pick or it.route == Route.to_transit
        if leaves and lot is not None and lot.expiry is not None and lot.expiry < self.today:
            raise errors.LotExpired(
                f"Lot {lot.number} of {it.product.sku} expired on {lot.expiry.isoformat()}; "
                "it may not be picked or shipped.",
                lot=lot.number,
                expiry=lot.expiry.isoformat(),
            )
        for cap in item.caps:  # the scan is valid: count it
            caps[cap.key] = caps.get(cap.key, ZERO) + qty
        if lot is not None and it.expiry and lot.expiry is None:  # only once the scan is valid
            self.repo.set_lot_expiry(lot.id, it.expiry)
            lot.expiry = it.expiry
        q_src.qty -= qty
        q_dst.qty += qty
        q_src.dirty = q_dst.dirty = True

        seq = last_seq + 1
        result.seq = seq
        result.on_hand = quant(loc).qty
        if it.to_location is not None:
            result.to_on_hand = quant(it.to_location).qty
        move = {
            "seq": seq,
            "event_id": str(s.event_id),
            "kind": it.kind.value,
            "warehouse_id": wh,
            "warehouse": look.warehouses.get(wh, ""),
            "product_id": pid,
            "sku": it.product.sku,
            "lot_id": lot_id,
            "lot": it.lot if lot_id is not None else None,
            "qty": qty,
            "from_location_id": src.id,
            "from_location": src.code,
            "to_location_id": dst.id,
            "to_location": dst.code,
            "from_balance": q_src.qty,
            "to_balance": q_dst.qty,
            "reference": s.reference,
            "reason": s.reason,
            "user_id": who.user_id,
            "device_id": who.device_id,
            "scanned_at": s.scanned_at,
        }
        return result, move

    def _lot_id(self, it: Intent, look: Lookups, quants: dict[QuantKey, QuantRow]) -> int | None:
        if it.product.tracking == Tracking.none:
            return None
        pid = it.product.id
        noun = "serial number" if it.product.tracking == Tracking.serial else "lot"
        if it.lot is None:
            # No lot scanned: take the only lot held at the location, if there is exactly one.
            source = it.counterpart if it.counterpart is not None else it.location
            held = [
                q.lot_id
                for q in quants.values()
                if q.product_id == pid
                and q.location_id == source.id
                and q.lot_id is not None
                and q.qty > 0
            ]
            if it.kind in (MoveKind.pick, MoveKind.transfer, MoveKind.count) and len(held) == 1:
                it.lot = look.lots_by_id[held[0]].number
                return held[0]
            raise errors.LotRequired(f"{it.product.sku} is {noun}-tracked: scan its {noun}.")
        row = look.lots.get((pid, it.lot))
        if row is not None:
            return row.id
        gains = it.kind == MoveKind.receive or (
            it.kind in (MoveKind.adjust, MoveKind.count)
            and it.qty > 0
            and it.route != Route.transit_loss
        )
        if not gains:
            raise errors.UnknownLot(f"{it.product.sku} has no {noun} {it.lot!r}.")
        lot_id = self.repo.insert_lot(pid, it.lot, it.expiry)
        look.lots[(pid, it.lot)] = look.lots_by_id[lot_id] = LotRef(lot_id, it.lot, it.expiry)
        return lot_id

    def _check_serial_free(
        self, it: Intent, lot_id: int | None, quants: dict[QuantKey, QuantRow]
    ) -> None:
        """A serial number enters the warehouse only if no physical location holds it."""
        for q in quants.values():
            if q.lot_id == lot_id and q.product_id == it.product.id and q.physical and q.qty > 0:
                raise errors.SerialInStock(
                    f"Serial {it.lot} of {it.product.sku} is already in stock."
                )

    def _virtual(self, warehouse_id: int, kind: LocationKind, look: Lookups) -> Row[Any]:
        v = look.virtual.get((warehouse_id, kind))
        if v is None:
            raise errors.InvalidLocation(f"Warehouse has no {kind} location.")
        return v


@dataclass(slots=True)
class LotRef:
    id: int
    number: str
    expiry: date | None


def _check_caps(item: PendingScan, it: Intent, caps: dict[str, Decimal]) -> None:
    if it.kind == MoveKind.count and it.route is None:
        raise errors.InvalidScan("A count scan moves its variance; it cannot be capped.")
    qty = abs(it.qty)  # what the posting will move
    for cap in item.caps:
        used = caps.get(cap.key, ZERO)
        if used + qty > cap.limit:
            left = max(cap.limit - used, ZERO)
            raise cap.error(
                f"{cap.label or cap.key}: {used.normalize():f} of {cap.limit.normalize():f} "
                f"already posted; {qty.normalize():f} more is too many "
                f"(at most {left.normalize():f}).",
                limit=float(cap.limit),
                used=float(used),
            )


def _rejected(item: PendingScan, exc: errors.AppError) -> ScanResult:
    return ScanResult.rejected(str(item.scan.event_id), exc.code, exc.message, exc.details)


_MOVE_COLUMNS = (
    "seq",
    "event_id",
    "kind",
    "warehouse_id",
    "product_id",
    "lot_id",
    "qty",
    "from_location_id",
    "to_location_id",
    "from_balance",
    "to_balance",
    "reference",
    "reason",
    "user_id",
    "device_id",
    "scanned_at",
    "applied_at",
)


def _move_row(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in _MOVE_COLUMNS}
