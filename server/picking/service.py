"""Pick lists (拣货): generated from one order or several (a wave), picked by scan, short
picks re-allocated.

- **Allocation.** Each order line's open reservation (not yet on a pick list) is allocated
  to stock on the sellable shelves of the warehouse, never to an expired lot, never to units
  another open pick line holds: FEFO (earliest expiry first, lots without expiry last, then
  the oldest lot) or FIFO (oldest lot first), per ``Product.pick_strategy``; untracked stock
  by the walking route. The lines are listed in walking order: ``Location.pick_sequence``
  (unset last), then zone, then code. Allocation runs under the warehouse lock, like
  confirmations, so two pick lists never take the same units.
- **Picking by scan.** At a location the picker scans an item: a location with nothing to
  pick is ``wrong_location``, an item not listed there ``wrong_item`` (or
  ``wrong_location`` when it is listed elsewhere), a lot other than the allocated one
  ``wrong_lot`` unless it is an allowed substitute (same location, unexpired, free, expiring
  on or after the allocated lot: the line is re-allocated to it), more than the line still
  needs ``over_pick``: each at once, nothing written. A pick posts a ledger ``pick`` scan
  bin -> the pick list's staging location with ``reference`` = the pick list number and an
  event id derived from the pick list and the client's event id; the line's quantity is a
  ``Cap`` checked by the ledger writer in its own transaction, so two pickers scanning one
  line at once cannot over-pick it. Outcomes (picked quantities, the orders' reservations and
  statuses) are recorded in a second transaction and published as ``pick_list`` events.
- **Short pick.** The picker reports a line short (the location is empty): the line closes
  at what was picked, the rest is allocated again elsewhere (not from locations reported
  short on this list), and what cannot be is recorded short on the order line and its
  reservation released.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.accounts.repository import AccountsRepository
from server.alerts.service import AlertEvaluator
from server.auth.principal import Principal
from server.catalog.repository import CatalogRepository
from server.codes.repository import CodesRepository
from server.codes.resolver import resolve
from server.db import Database
from server.kit.quantity import ZERO
from server.ledger.posting import document_event_id
from server.ledger.service import Cap, PendingScan
from server.ledger.writer import ScanWriter
from server.models import (
    Location,
    MoveKind,
    PickLine,
    PickLineStatus,
    PickList,
    PickListOrder,
    PickListStatus,
    PickStrategy,
    Product,
    SalesOrder,
    SalesOrderLine,
    SalesOrderStatus,
    Tracking,
)
from server.picking.repository import PickingRepository
from server.picking.schemas import (
    PickLinePublic,
    PickListCreate,
    PickListPublic,
    PickScanIn,
    PickScanPublic,
    ShortIn,
)
from server.sales.repository import SalesRepository
from server.sales.service import FLOOR_ROLES, SALES_ROLES, SalesService, open_reservation
from server.scans.schemas import ScanIn, ScanResult
from server.stream.hub import StockHub

PICKABLE = (
    SalesOrderStatus.confirmed,
    SalesOrderStatus.reserved,
    SalesOrderStatus.partially_picked,
)
_FAR = date.max


def _now() -> datetime:
    return datetime.now(UTC)


def walk_key(code: str, zone: str | None, sequence: int | None) -> tuple[Any, ...]:
    """The walking route: pick sequence (unset last), then zone, then location code."""
    return (sequence is None, sequence or 0, zone or "", code)


def allocation_order(strategy: PickStrategy, tracking: Tracking, row: Any) -> tuple[Any, ...]:
    """Which stock is taken first (pure): FEFO or FIFO for lots, the route otherwise."""
    route = walk_key(row.code, row.zone, row.pick_sequence)
    if tracking == Tracking.none or row.lot_id is None:
        return route
    age = (row.lot_created_at, row.lot_id)
    if strategy == PickStrategy.fefo:
        return (row.expiry is None, row.expiry or _FAR, *age, route)
    return (*age, route)


def cap_key(pick_list: PickList, line: PickLine) -> str:
    return f"{pick_list.number}:{line.id}"


class PickingService:
    def __init__(self, repo: PickingRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who
        self.sales = SalesService(SalesRepository(repo.session), who)
        self.catalog = CatalogRepository(repo.session)
        self.events = self.sales.events  # one list: order and pick list events together
        self.today = _now().date()

    async def pick_list(self, number: str) -> PickList:
        pl = await self.repo.by_number(number)
        if pl is None or pl.id is None or not self.who.can_access(pl.warehouse_id):
            raise errors.NotFound(f"No pick list {number}.")
        return pl

    # --- generating ---
    async def create(self, data: PickListCreate) -> PickListPublic:
        self.who.check_role(SALES_ROLES, "create pick lists")
        orders = [await self.sales.order(n) for n in data.orders]
        warehouses = {o.warehouse_id for o in orders}
        if len(warehouses) != 1:
            raise errors.Invalid("A pick list (wave) takes orders of one warehouse.")
        wh_id = warehouses.pop()
        for o in orders:
            if o.status not in PICKABLE:
                raise errors.InvalidState(f"{o.number} is {o.status}; it cannot be picked.")
        staging = await self._staging(wh_id, data.staging)
        assigned = None
        if data.assigned_to is not None:
            user = await AccountsRepository(self.repo.session).user(data.assigned_to)
            if user is None or user.id is None or not user.active:
                raise errors.NotFound(f"No user {data.assigned_to}.")
            assigned = user.id
        await self.sales.repo.lock_warehouse(wh_id)
        assert staging.id is not None
        pl = PickList(
            warehouse_id=wh_id,
            staging_id=staging.id,
            assigned_to=assigned,
            created_by=self.who.user_id,
        )
        await self.repo.add(pl)
        assert pl.id is not None
        pl.number = f"PK-{pl.id:06d}"
        await self.repo.add(pl)
        lines: list[PickLine] = []
        for o in orders:
            assert o.id is not None
            await self.repo.add(PickListOrder(pick_list_id=pl.id, order_id=o.id))
            held = await self._held(o.id)
            for ln in await self.sales.repo.lines(o.id):
                need = open_reservation(ln) - held.get(ln.id or 0, ZERO)
                if need > 0:
                    _got, short = await self._allocate(pl, o, ln, need, [], lines)
                    if short > 0:
                        ln.short_qty += short
                        await self.repo.add(ln)
        if not lines:
            raise errors.InvalidState(
                "Nothing to pick: the orders' reservations are on pick lists already, or "
                "no stock is on the shelves for them."
            )
        await self._renumber(pl)
        for o in orders:
            await self.sales.sync_reservations(o)
        await self._event(pl, "created")
        return await self.public(pl)

    async def _held(self, order_id: int) -> dict[int, Decimal]:
        """What open pick lines already hold per order line (not picked yet)."""
        held: dict[int, Decimal] = {}
        for pl in await self.sales.repo.pick_lines(order_id):
            if pl.status == PickLineStatus.open:
                held[pl.order_line_id] = held.get(pl.order_line_id, ZERO) + pl.qty - pl.picked_qty
        return held

    async def _staging(self, warehouse_id: int, ref: str | None) -> Location:
        if ref is not None:
            loc = await self.catalog.location_by_ref(ref)
            if (
                loc is None
                or loc.warehouse_id != warehouse_id
                or loc.kind != "staging"
                or not loc.active
            ):
                raise errors.InvalidLocation(f"{ref} is not an active staging location there.")
            return loc
        found = await self.repo.staging_locations(warehouse_id)
        if not found:
            raise errors.InvalidLocation(
                "The warehouse has no staging location (an outbound dock); create one "
                "(POST /api/locations with kind staging)."
            )
        return found[0]

    async def _allocate(
        self,
        pl: PickList,
        order: SalesOrder,
        ln: SalesOrderLine,
        need: Decimal,
        exclude: Sequence[int],
        created: list[PickLine],
    ) -> tuple[Decimal, Decimal]:
        """Allocate ``need`` of an order line; (allocated, not allocated)."""
        assert pl.id is not None and order.id is not None and ln.id is not None
        product = (await self.sales.repo.products([ln.product_id]))[ln.product_id]
        rows = await self.repo.candidates(pl.warehouse_id, ln.product_id, self.today, exclude)
        held = await self.repo.allocated(pl.warehouse_id, ln.product_id)
        strategy = PickStrategy(product.pick_strategy)
        tracking = Tracking(product.tracking)
        rows.sort(key=lambda r: allocation_order(strategy, tracking, r))
        existing = {
            (x.order_line_id, x.location_id, x.lot_id): x
            for x in await self.repo.lines(pl.id)
            if x.status in (PickLineStatus.open, PickLineStatus.picked)
        }
        left = need
        for r in rows:
            if left <= 0:
                break
            free = r.qty - held.get((r.location_id, r.lot_id), ZERO)
            take = min(free, left)
            if take <= 0:
                continue
            line = existing.get((ln.id, r.location_id, r.lot_id))
            if line is None:
                line = PickLine(
                    pick_list_id=pl.id,
                    order_id=order.id,
                    order_line_id=ln.id,
                    product_id=ln.product_id,
                    location_id=r.location_id,
                    lot_id=r.lot_id,
                    qty=take,
                )
            else:
                line.qty += take
                line.status = PickLineStatus.open
            await self.repo.add(line)
            created.append(line)
            left -= take
        return need - left, left

    async def _renumber(self, pl: PickList) -> None:
        """Walking order: sequence, zone, code (then lot expiry, then order)."""
        assert pl.id is not None
        lines = await self.repo.lines(pl.id)
        locations = await self.sales.repo.locations_by_id(sorted({x.location_id for x in lines}))
        lots = await self.repo.lots(sorted({x.lot_id for x in lines if x.lot_id}))

        def key(x: PickLine) -> tuple[Any, ...]:
            loc = locations[x.location_id]
            lot = lots.get(x.lot_id or 0)
            return (
                walk_key(loc.code, loc.zone, loc.pick_sequence),
                x.product_id,
                (lot.expiry or _FAR) if lot else _FAR,
                x.order_id,
                x.id or 0,
            )

        for seq, x in enumerate(sorted(lines, key=key), start=1):
            if x.seq != seq:
                x.seq = seq
                await self.repo.add(x)

    # --- who picks it ---
    async def claim(self, number: str) -> PickListPublic:
        """A picker takes the list (scanning its barcode on the handheld): one picker per
        list; a supervisor may reassign it by creating it with ``assigned_to`` or release it."""
        self.who.check_role(FLOOR_ROLES, "take pick lists")
        pl = await self.pick_list(number)
        self.who.check_warehouse(pl.warehouse_id)
        assert pl.id is not None and self.who.user_id is not None
        if pl.status != PickListStatus.open:
            raise errors.InvalidState(f"Pick list {number} is {pl.status}.")
        if not await self.repo.claim(pl.id, self.who.user_id):
            holder = await self.repo.username(pl.assigned_to or 0)
            raise errors.PickListClaimed(f"{holder or 'Someone'} is picking {number}.")
        await self.repo.session.refresh(pl)
        await self._event(pl, "claimed")
        return await self.public(pl)

    async def release(self, number: str) -> PickListPublic:
        """Give the list back: its picker, or a supervisor."""
        self.who.check_role(FLOOR_ROLES, "give back pick lists")
        pl = await self.pick_list(number)
        self.who.check_warehouse(pl.warehouse_id)
        assert pl.id is not None
        if pl.assigned_to not in (None, self.who.user_id) and self.who.role not in SALES_ROLES:
            raise errors.PickListClaimed(f"Only its picker or a supervisor gives {number} back.")
        await self.repo.unclaim(pl.id)
        await self.repo.session.refresh(pl)
        await self._event(pl, "released")
        return await self.public(pl)

    def _check_picker(self, pl: PickList) -> None:
        """A list someone has taken is theirs (supervisors may still pick on it)."""
        taken = pl.assigned_to is not None and pl.assigned_to != self.who.user_id
        if taken and self.who.role not in SALES_ROLES:
            raise errors.PickListClaimed(f"Pick list {pl.number} is someone else's.")

    # --- picking (checks; the flow posts) ---
    async def pick_scan(self, number: str, data: PickScanIn) -> PendingScan | ScanResult:
        """Check a pick; the posting, or the stored answer to an applied retry."""
        self.who.check_role(FLOOR_ROLES, "pick")
        pl = await self.pick_list(number)
        self.who.check_warehouse(pl.warehouse_id)
        event_id = document_event_id(number, "pick", data.event_id)
        stored = await self.sales.repo.applied(event_id)
        if stored is not None:
            original = ScanResult.model_validate_json(stored)
            return original.model_copy(
                update={"status": "duplicate", "event_id": str(data.event_id)}
            )
        if pl.status != PickListStatus.open:
            raise errors.InvalidState(f"Pick list {number} is {pl.status}; nothing to pick.")
        self._check_picker(pl)
        assert pl.id is not None
        loc = await self.catalog.location_by_ref(data.location)
        if loc is None or loc.warehouse_id != pl.warehouse_id:
            raise errors.UnknownLocation(
                f"No location {data.location!r} in this warehouse.", field="location"
            )
        listed = [
            x
            for x in await self.repo.lines(pl.id)
            if x.status in (PickLineStatus.open, PickLineStatus.picked)
        ]
        usage = await self.repo.cap_usage([cap_key(pl, x) for x in listed])
        lines = [
            x
            for x in listed
            if x.status == PickLineStatus.open and usage.get(cap_key(pl, x), ZERO) < x.qty
        ]
        locations = await self.sales.repo.locations_by_id(sorted({x.location_id for x in lines}))
        here = [x for x in lines if x.location_id == loc.id]
        done_here = {x.product_id for x in listed if x.location_id == loc.id}
        if not here and not done_here:
            nxt = locations[lines[0].location_id].code if lines else None
            raise errors.WrongLocation(
                f"Nothing to pick at {loc.code} on {number}"
                + (f"; go to {nxt}." if nxt else "; the list is done."),
                expected=nxt,
            )
        index = await CodesRepository(self.repo.session).index([data.code])
        code = resolve(data.code, index)
        if code.product is None:
            raise code.not_a_product()
        pid = code.product.id
        product = (await self.sales.repo.products([pid]))[pid]
        if pid in done_here and not any(x.product_id == pid for x in here):
            raise errors.OverPick(
                f"{product.sku} at {loc.code} is picked in full on {number}.", remaining=0.0
            )
        if not here:
            nxt = locations[lines[0].location_id].code if lines else None
            raise errors.WrongLocation(
                f"Nothing more to pick at {loc.code} on {number}"
                + (f"; go to {nxt}." if nxt else "."),
                expected=nxt,
            )
        mine = [x for x in here if x.product_id == pid]
        if not mine:
            elsewhere = sorted(
                {locations[x.location_id].code for x in lines if x.product_id == pid}
            )
            if elsewhere:
                raise errors.WrongLocation(
                    f"{product.sku} is picked from {', '.join(elsewhere)}, not {loc.code}.",
                    expected=elsewhere[0],
                )
            wanted = await self.sales.repo.products(sorted({x.product_id for x in here}))
            raise errors.WrongItem(
                f"{product.sku} is not on {number} at {loc.code}; pick "
                f"{', '.join(sorted(p.sku for p in wanted.values()))} here.",
                expected=sorted(p.sku for p in wanted.values()),
            )
        qty = data.qty if data.qty is not None else (code.quantity or Decimal(1))
        if not qty.is_finite() or qty <= 0:
            raise errors.InvalidQuantity("A picked quantity is greater than 0.")
        lots = await self.repo.lots(sorted({x.lot_id for x in mine if x.lot_id}))
        tracking = Tracking(product.tracking)
        lot: str | None = None
        line = mine[0]
        if tracking != Tracking.none:
            if tracking == Tracking.serial:
                lot = data.lot or code.serial or code.lot
            else:
                lot = data.lot or code.lot
            if lot is None:
                if len({x.lot_id for x in mine}) > 1:
                    raise errors.LotRequired(
                        f"{product.sku} is lot-tracked and two lots are to be picked here: "
                        "scan the lot."
                    )
                lot = lots[line.lot_id or 0].number
            else:
                match = [x for x in mine if x.lot_id and lots[x.lot_id].number == lot]
                if match:
                    line = match[0]
                else:
                    line = await self._substitute(pl, mine, lots, product, loc, lot, qty)
        used = usage.get(cap_key(pl, line), ZERO)
        remaining = line.qty - used
        if qty > remaining:
            raise errors.OverPick(
                f"{number} needs {remaining.normalize():f} more of {product.sku}"
                f"{' lot ' + lot if lot else ''} at {loc.code}; {qty.normalize():f} is too many.",
                remaining=float(remaining),
            )
        scan = ScanIn(
            event_id=UUID(event_id),
            type=MoveKind.pick,
            code=product.sku,
            qty=qty,
            location=loc.code,
            to_location=(await self._staging_code(pl)),
            lot=lot,
            reference=number,
            scanned_at=data.scanned_at,
        )
        cap = Cap(cap_key(pl, line), line.qty, f"{number} line {line.seq}", errors.OverPick)
        return PendingScan(scan, self.who, caps=(cap,))

    async def _staging_code(self, pl: PickList) -> str:
        loc = await self.sales.repo.location(pl.staging_id)
        assert loc is not None
        return loc.code

    async def _substitute(
        self,
        pl: PickList,
        mine: list[PickLine],
        lots: dict[int, Any],
        product: Product,
        loc: Location,
        scanned: str,
        qty: Decimal,
    ) -> PickLine:
        """The scanned lot is not the allocated one: take it instead if allowed (same
        location, unexpired, free, expiring on or after the allocated lot)."""
        allocated = sorted(mine, key=lambda x: x.seq)[0]
        planned = lots.get(allocated.lot_id or 0)
        planned_text = planned.number if planned else "?"
        wrong = errors.WrongLot(
            f"Pick lot {planned_text} of {product.sku} at {loc.code}, not {scanned}.",
            expected=planned_text,
        )
        assert product.id is not None and loc.id is not None and pl.id is not None
        lot = await self.repo.lot(product.id, scanned)
        if lot is None or lot.id is None or planned is None:
            raise wrong
        if lot.expiry is not None and lot.expiry < self.today:
            raise errors.LotExpired(
                f"Lot {scanned} of {product.sku} expired on {lot.expiry.isoformat()}; take lot "
                f"{planned_text}.",
                lot=scanned,
                expiry=lot.expiry.isoformat(),
            )
        later = (lot.expiry or _FAR) >= (planned.expiry or _FAR)
        held = (await self.repo.allocated(pl.warehouse_id, product.id)).get((loc.id, lot.id), ZERO)
        free = await self.repo.quant(loc.id, product.id, lot.id) - held
        usage = await self.repo.cap_usage([cap_key(pl, allocated)])
        movable = allocated.qty - usage.get(cap_key(pl, allocated), ZERO)
        if not later or free < qty or qty > movable or qty <= 0:
            raise wrong
        allocated.qty -= qty
        if allocated.qty == 0:
            allocated.status = PickLineStatus.cancelled  # the substitute took all of it
        elif allocated.qty <= usage.get(cap_key(pl, allocated), ZERO):
            allocated.status = PickLineStatus.picked
        await self.repo.add(allocated)
        line = PickLine(
            pick_list_id=pl.id,
            order_id=allocated.order_id,
            order_line_id=allocated.order_line_id,
            product_id=product.id,
            location_id=loc.id,
            lot_id=lot.id,
            qty=qty,
            seq=allocated.seq,
            substitute_for=allocated.id,
        )
        await self.repo.add(line)
        return line

    async def short(self, number: str, line_id: int, data: ShortIn) -> PickListPublic:
        """The location did not have it: close the line, allocate the rest elsewhere."""
        self.who.check_role(FLOOR_ROLES, "report short picks")
        pl = await self.pick_list(number)
        self.who.check_warehouse(pl.warehouse_id)
        if pl.status != PickListStatus.open:
            raise errors.InvalidState(f"Pick list {number} is {pl.status}.")
        self._check_picker(pl)
        assert pl.id is not None
        await self.sales.repo.lock_warehouse(pl.warehouse_id)
        lines = await self.repo.lines(pl.id)
        line = next((x for x in lines if x.id == line_id), None)
        if line is None:
            raise errors.NotFound(f"{number} has no line {line_id}.")
        if line.status != PickLineStatus.open:
            raise errors.InvalidState(f"Line {line_id} of {number} is {line.status}.")
        used = (await self.repo.cap_usage([cap_key(pl, line)])).get(cap_key(pl, line), ZERO)
        rest = line.qty - used
        line.picked_qty, line.status, line.short_reason = used, PickLineStatus.short, data.reason
        await self.repo.add(line)
        exclude = sorted(
            {
                x.location_id
                for x in lines
                if x.product_id == line.product_id and x.status == PickLineStatus.short
            }
            | {line.location_id}
        )
        order = await self.sales.order_by_id(line.order_id)
        order_line = next(
            x for x in await self.sales.repo.lines(line.order_id) if x.id == line.order_line_id
        )
        created: list[PickLine] = []
        _got, missing = await self._allocate(pl, order, order_line, rest, exclude, created)
        if missing > 0:
            order_line.short_qty += missing
            await self.repo.add(order_line)
        await self._renumber(pl)
        await self.record(number, refresh=False)
        return await self.public(pl)

    async def record(self, number: str, *, refresh: bool = True) -> PickListPublic:
        """After postings: picked quantities from the caps, the orders' reservations and
        statuses, the list's status; queue the progress event."""
        pl = await self.pick_list(number)
        assert pl.id is not None
        # Records of concurrent picks run at once: each sets the lines from the caps as it
        # reads them, so an earlier read committed last would set them back (PostgreSQL's
        # READ COMMITTED). They take the warehouse's lock, as everything that changes its
        # reservations does, and read after it.
        await self.sales.repo.lock_warehouse(pl.warehouse_id)
        await self.repo.session.refresh(pl)
        lines = await self.repo.lines(pl.id)
        usage = await self.repo.cap_usage([cap_key(pl, x) for x in lines])
        for x in lines:
            picked = usage.get(cap_key(pl, x), ZERO)
            changed = picked != x.picked_qty
            x.picked_qty = picked
            if x.status == PickLineStatus.open and picked >= x.qty:
                x.status, changed = PickLineStatus.picked, True
            if changed:
                await self.repo.add(x)
        for order_id in await self.repo.order_ids(pl.id):
            order = await self.sales.order_by_id(order_id)
            all_lines = await self.sales.repo.pick_lines(order_id)
            for ln in await self.sales.repo.lines(order_id):
                picked = sum((x.picked_qty for x in all_lines if x.order_line_id == ln.id), ZERO)
                if picked != ln.picked_qty:
                    ln.picked_qty = picked
                    await self.repo.add(ln)
            await self.sales.sync_reservations(order)
        if pl.status == PickListStatus.open and not any(
            x.status == PickLineStatus.open for x in lines
        ):
            pl.status, pl.picked_at = PickListStatus.picked, _now()
            await self.repo.add(pl)
        await self._event(pl, "progress" if refresh else "short")
        return await self.public(pl)

    async def _event(self, pl: PickList, event: str) -> None:
        public = await self.public(pl)
        self.events.append(
            {
                "type": "pick_list",
                "event": event,
                "warehouse": public.warehouse,
                "number": public.number,
                "status": public.status,
                "orders": public.orders,
                "lines_total": public.lines_total,
                "lines_done": public.lines_done,
                "next_location": public.next_location,
                "at": _now().isoformat(),
            }
        )

    # --- reads ---
    async def public(self, pl: PickList) -> PickListPublic:
        assert pl.id is not None
        lines = await self.repo.lines(pl.id)
        locations = await self.sales.repo.locations_by_id(
            sorted({x.location_id for x in lines} | {pl.staging_id})
        )
        products = await self.sales.repo.products(sorted({x.product_id for x in lines}))
        lots = await self.repo.lots(sorted({x.lot_id for x in lines if x.lot_id}))
        orders = {
            oid: (await self.sales.order_by_id(oid)).number or ""
            for oid in await self.repo.order_ids(pl.id)
        }
        wh = await self.sales.warehouse(pl.warehouse_id)
        user = None
        if pl.assigned_to is not None:
            user = await self.repo.username(pl.assigned_to)
        live = [x for x in lines if x.status != PickLineStatus.cancelled]
        open_lines = [x for x in live if x.status == PickLineStatus.open]
        return PickListPublic(
            number=pl.number or "",
            warehouse=wh.code,
            staging=locations[pl.staging_id].code,
            status=pl.status,
            orders=list(orders.values()),
            assigned_to=user,
            created_at=pl.created_at,
            picked_at=pl.picked_at,
            lines_total=len(live),
            lines_done=len(live) - len(open_lines),
            next_location=locations[open_lines[0].location_id].code if open_lines else None,
            lines=[
                PickLinePublic(
                    id=x.id or 0,
                    seq=x.seq,
                    order=orders.get(x.order_id, "?"),
                    location=locations[x.location_id].code,
                    sku=products[x.product_id].sku,
                    name=products[x.product_id].name,
                    lot=lots[x.lot_id].number if x.lot_id else None,
                    expiry=lots[x.lot_id].expiry if x.lot_id else None,
                    qty=x.qty,
                    picked=x.picked_qty,
                    status=x.status,
                    short_reason=x.short_reason,
                    substitute_for=x.substitute_for,
                )
                for x in lines
            ],
        )

    async def get(self, number: str) -> PickListPublic:
        return await self.public(await self.pick_list(number))

    async def listing(
        self, warehouse: str | None, status: str | None, mine: bool, limit: int
    ) -> list[PickListPublic]:
        ids = await self.sales.scope(warehouse)
        if status is not None and status not in {s.value for s in PickListStatus}:
            raise errors.Invalid(f"No pick list status {status}.")
        assigned = self.who.user_id if mine else None
        return [await self.public(p) for p in await self.repo.listing(ids, status, assigned, limit)]


class PickingFlow:
    """Check (a write transaction: a substitute lot re-allocates), post through the writer,
    record the outcome, publish."""

    def __init__(
        self,
        db: Database,
        writer: ScanWriter,
        hub: StockHub,
        who: Principal,
        alerts: AlertEvaluator | None = None,
    ) -> None:
        self.db = db
        self.writer = writer
        self.hub = hub
        self.who = who
        self.alerts = alerts

    def _service(self, session: AsyncSession) -> PickingService:
        return PickingService(PickingRepository(session), self.who)

    async def _publish(self, events: list[dict[str, Any]]) -> None:
        if events:
            await self.hub.publish_events(events)

    async def create(self, data: PickListCreate) -> PickListPublic:
        async with self.db.session(write=True) as session:
            service = self._service(session)
            result = await service.create(data)
        await self._publish(service.events)
        return result

    async def claim(self, number: str, give_back: bool = False) -> PickListPublic:
        async with self.db.session(write=True) as session:
            service = self._service(session)
            result = await (service.release(number) if give_back else service.claim(number))
        await self._publish(service.events)
        return result

    async def short(self, number: str, line_id: int, data: ShortIn) -> PickListPublic:
        async with self.db.session(write=True) as session:
            service = self._service(session)
            result = await service.short(number, line_id, data)
        await self._publish(service.events)
        self._rejudge(result)  # a shortage released reservations
        return result

    def _rejudge(self, pick_list: PickListPublic) -> None:
        if self.alerts is not None:
            skus = {ln.sku for ln in pick_list.lines}
            self.alerts.notify([{"warehouse": pick_list.warehouse, "sku": s} for s in skus])

    async def scan(self, number: str, data: PickScanIn) -> PickScanPublic:
        async with self.db.session(write=True) as session:
            checked = await self._service(session).pick_scan(number, data)
        if isinstance(checked, ScanResult):
            result = checked
        else:
            (result,) = await self.writer.apply([checked])
            if result.status == "rejected" and result.error is not None:
                err = result.error
                raise errors.from_code(err.code, err.message, err.details)
            result = result.model_copy(update={"event_id": str(data.event_id)})
        async with self.db.session(write=True) as session:
            service = self._service(session)
            public = await service.record(number)
        await self._publish(service.events)
        line = None
        if result.status in ("applied", "duplicate"):
            line = next(
                (
                    x
                    for x in public.lines
                    if x.location == result.location
                    and x.sku == result.product
                    and x.lot == result.lot
                ),
                None,
            )
        return PickScanPublic(result=result, line=line, pick_list=public)
