"""Transfers (调拨). Between bins of one warehouse a transfer is one scan (``POST /api/scans``
with ``type: transfer`` and a ``to_location``). Between warehouses it has an in-transit state:

1. ship: scans at the source move stock from a shelf into the source warehouse's in-transit
   virtual location (``<WH>:TRANSIT``), referenced by the transfer number;
2. dispatch: shipping is over, the goods are on their way;
3. receive: scans at the destination move stock from that in-transit location to a shelf
   there; more than was shipped (per product and lot) is refused (``over_receipt``);
4. complete: what was shipped and not received is a discrepancy: flagged on the transfer's
   lines and written off from in-transit to the source's inventory-loss location, so the
   ledger shows who lost what, when, and why.

The transfer's quantities are read from the ledger (its moves carry the number as their
``reference``): there is no second count to drift from the truth. ``TransferFlow`` owns its
units of work: reads and checks in one transaction, the posting through the ledger writer
(a SQLite write transaction must not be held across it), the document's update in another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.auth.principal import CATALOG_ROLES, SCAN_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.codes.repository import CodesRepository
from server.codes.resolver import resolve
from server.db import Database
from server.kit.quantity import ZERO
from server.ledger.posting import document_event_id
from server.ledger.repository import LedgerRepository
from server.ledger.service import Cap, PendingScan, Route
from server.ledger.writer import ScanWriter
from server.models import (
    LocationKind,
    MoveKind,
    Tracking,
    Transfer,
    TransferLine,
    TransferStatus,
    Warehouse,
)
from server.scans.schemas import ScanIn, ScanResult
from server.transfers.repository import TransfersRepository
from server.transfers.schemas import (
    TransferCreate,
    TransferLinePublic,
    TransferPublic,
    TransferScanIn,
)

TRANSFER_ROLES = SCAN_ROLES[MoveKind.transfer]
SHORTAGE_REASON = "transfer shortage (lost in transit)"
LineKey = tuple[int, str | None]  # product, lot


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Flows:
    """A transfer's quantities per (product, lot), from its moves in the ledger."""

    shipped: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    received: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    short: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def remaining(self, key: LineKey) -> Decimal:
        return (
            self.shipped.get(key, ZERO) - self.received.get(key, ZERO) - self.short.get(key, ZERO)
        )


@dataclass(slots=True)
class _Doc:
    transfer: Transfer
    source: Warehouse
    destination: Warehouse
    transit_id: int
    transit_code: str
    loss_id: int


class TransferService:
    def __init__(self, repo: TransfersRepository, who: Principal) -> None:
        self.repo = repo
        self.catalog = CatalogRepository(repo.session)
        self.who = who

    async def _warehouse(self, code: str) -> Warehouse:
        wh = await self.catalog.warehouse(code)
        if wh is None or wh.id is None:
            raise errors.NotFound(f"No warehouse {code}.")
        return wh

    async def doc(self, number: str) -> _Doc:
        t = await self.repo.by_number(number)
        src = await self.catalog.warehouse_by_id(t.from_warehouse_id) if t else None
        dst = await self.catalog.warehouse_by_id(t.to_warehouse_id) if t else None
        if t is None or src is None or dst is None or src.id is None or dst.id is None:
            raise errors.NotFound(f"No transfer {number}.")
        if not (self.who.can_access(src.id) or self.who.can_access(dst.id)):
            raise errors.NotFound(f"No transfer {number}.")
        virtual = await self.repo.virtual_locations(src.id)
        transit = virtual.get(LocationKind.in_transit)
        loss = virtual.get(LocationKind.inventory_loss)
        if transit is None or transit.id is None or loss is None or loss.id is None:
            raise errors.InvalidLocation(f"Warehouse {src.code} has no in-transit location.")
        return _Doc(t, src, dst, transit.id, transit.code, loss.id)

    async def create(self, data: TransferCreate) -> TransferPublic:
        self.who.check_role(CATALOG_ROLES, "create transfers")
        src, dst = (
            await self._warehouse(data.from_warehouse),
            await self._warehouse(data.to_warehouse),
        )
        assert src.id is not None and dst.id is not None
        self.who.check_warehouse(src.id, src.code)
        if src.id == dst.id:
            raise errors.Invalid("A transfer goes to another warehouse; between bins, scan one.")
        t = Transfer(
            from_warehouse_id=src.id,
            to_warehouse_id=dst.id,
            note=data.note,
            created_by=self.who.user_id,
        )
        await self.repo.add(t)
        assert t.id is not None
        t.number = f"TR-{t.id:06d}"
        await self.repo.add(t)
        for line in data.lines:
            product = await self.catalog.product(line.sku)
            if product is None or product.id is None:
                raise errors.NotFound(f"No product {line.sku}.")
            await self.repo.add(
                TransferLine(
                    transfer_id=t.id,
                    product_id=product.id,
                    lot_number=line.lot,
                    planned_qty=line.qty,
                )
            )
        return await self.public(number=t.number)

    async def flows(self, doc: _Doc) -> Flows:
        flows = Flows()
        for row in await LedgerRepository(self.repo.session).document_flows(
            doc.transfer.number or ""
        ):
            key = (row.product_id, row.lot)
            if row.to_location_id == doc.transit_id:
                flows.shipped[key] += row.qty
            elif row.from_location_id == doc.transit_id and row.to_location_id == doc.loss_id:
                flows.short[key] += row.qty  # written off at completion
            elif row.from_location_id == doc.transit_id:
                flows.received[key] += row.qty
        return flows

    async def public(self, number: str) -> TransferPublic:
        doc = await self.doc(number)
        t = doc.transfer
        assert t.id is not None
        flows = await self.flows(doc)
        planned = {
            (ln.product_id, ln.lot_number): ln.planned_qty for ln in await self.repo.lines(t.id)
        }
        keys = sorted(set(planned) | set(flows.shipped), key=lambda k: (k[0], k[1] or ""))
        skus = await self.repo.skus(sorted({k[0] for k in keys}))
        lines = [
            TransferLinePublic(
                sku=skus.get(pid, "?"),
                lot=lot,
                planned=planned.get((pid, lot)),
                shipped=flows.shipped.get((pid, lot), ZERO),
                received=flows.received.get((pid, lot), ZERO),
                short=flows.short.get((pid, lot), ZERO),
            )
            for pid, lot in keys
        ]
        return TransferPublic(
            number=t.number or "",
            from_warehouse=doc.source.code,
            to_warehouse=doc.destination.code,
            status=t.status,
            note=t.note,
            discrepancy=any(ln.short for ln in lines),
            created_at=t.created_at,
            dispatched_at=t.dispatched_at,
            completed_at=t.completed_at,
            lines=lines,
        )

    async def listing(self, status: str | None) -> list[TransferPublic]:
        found = await self.repo.transfers(self.who.warehouse_scope, status, 200)
        return [await self.public(t.number or "") for t in found]

    async def dispatch(self, number: str) -> TransferPublic:
        self.who.check_role(CATALOG_ROLES, "dispatch transfers")
        doc = await self.doc(number)
        assert doc.source.id is not None
        self.who.check_warehouse(doc.source.id, doc.source.code)
        if doc.transfer.status != TransferStatus.open:
            raise errors.InvalidState(f"Transfer {number} is {doc.transfer.status}.")
        if not any((await self.flows(doc)).shipped.values()):
            raise errors.InvalidState(f"Nothing was shipped on {number} yet.")
        doc.transfer.status, doc.transfer.dispatched_at = TransferStatus.in_transit, _now()
        await self.repo.add(doc.transfer)
        return await self.public(number)

    # --- building the postings (checks only; nothing written) ---
    async def ship_scan(self, number: str, data: TransferScanIn) -> PendingScan:
        self.who.check_role(TRANSFER_ROLES, "ship transfers")
        doc = await self.doc(number)
        assert doc.source.id is not None
        self.who.check_warehouse(doc.source.id, doc.source.code)
        if doc.transfer.status != TransferStatus.open:
            raise errors.InvalidState(
                f"Transfer {number} is {doc.transfer.status}: shipping is over."
            )
        loc = await self.catalog.location_by_ref(data.location)
        if loc is None or loc.warehouse_id != doc.source.id:
            raise errors.InvalidLocation(f"Ship {number} from a location in {doc.source.code}.")
        return self._pending(doc, data, Route.to_transit, None, data.lot)

    async def receive_scan(self, number: str, data: TransferScanIn) -> PendingScan:
        self.who.check_role(TRANSFER_ROLES, "receive transfers")
        doc = await self.doc(number)
        assert doc.destination.id is not None
        self.who.check_warehouse(doc.destination.id, doc.destination.code)
        if doc.transfer.status != TransferStatus.in_transit:
            raise errors.InvalidState(
                f"Transfer {number} is {doc.transfer.status}; it is received once dispatched."
            )
        loc = await self.catalog.location_by_ref(data.location)
        if loc is None or loc.warehouse_id != doc.destination.id:
            raise errors.InvalidLocation(
                f"Receive {number} at a location in {doc.destination.code}."
            )
        index = await CodesRepository(self.repo.session).index([data.code])
        code = resolve(data.code, index)
        if code.product is None:
            raise code.not_a_product()
        product = await self.repo.product(code.product.id)
        assert product is not None and product.id is not None
        flows = await self.flows(doc)
        lot = data.lot
        if Tracking(product.tracking) == Tracking.serial:
            lot = lot or code.serial or code.lot
        elif Tracking(product.tracking) == Tracking.lot:
            lot = lot or code.lot
            if lot is None:  # the only lot of it still in transit on this transfer
                open_lots = [
                    k[1] for k in flows.shipped if k[0] == product.id and flows.remaining(k) > 0
                ]
                if len(open_lots) == 1:
                    lot = open_lots[0]
        else:
            lot = None
        qty = data.qty if data.qty is not None else (code.quantity or Decimal(1))
        remaining = flows.remaining((product.id, lot))
        if qty > remaining:
            raise errors.OverReceipt(
                f"{number} has {remaining.normalize():f} of {product.sku}"
                f"{' lot ' + lot if lot else ''} in transit; {qty:f} cannot be received.",
                in_transit=float(remaining),
            )
        cap = _in_transit_cap(number, product.id, product.sku, lot, flows)
        return self._pending(doc, data, Route.from_transit, doc.transit_code, lot, qty, cap)

    def _pending(
        self,
        doc: _Doc,
        data: TransferScanIn,
        route: Route,
        counterpart: str | None,
        lot: str | None,
        qty: Decimal | None = None,
        cap: Cap | None = None,
    ) -> PendingScan:
        scan = ScanIn(
            event_id=data.event_id,
            type=MoveKind.transfer,
            code=data.code,
            qty=qty if qty is not None else data.qty,
            location=data.location,
            lot=lot,
            reference=doc.transfer.number,
            scanned_at=data.scanned_at,
        )
        caps = (cap,) if cap is not None else ()
        return PendingScan(scan, self.who, route=route, counterpart=counterpart, caps=caps)

    async def shortages(self, number: str) -> list[PendingScan]:
        """Complete: write off what was shipped and not received (in-transit -> loss)."""
        self.who.check_role(CATALOG_ROLES, "complete transfers")
        doc = await self.doc(number)
        assert doc.destination.id is not None
        self.who.check_warehouse(doc.destination.id, doc.destination.code)
        if doc.transfer.status != TransferStatus.in_transit:
            raise errors.InvalidState(f"Transfer {number} is {doc.transfer.status}.")
        flows = await self.flows(doc)
        skus = await self.repo.skus(sorted({k[0] for k in flows.shipped}))
        items = []
        for key in sorted(flows.shipped, key=lambda k: (k[0], k[1] or "")):
            short = flows.remaining(key)
            if short <= 0:
                continue
            scan = ScanIn(
                event_id=UUID(document_event_id(number, "short", key[0], key[1] or "")),
                type=MoveKind.adjust,
                code=skus[key[0]],
                qty=short,
                location=doc.transit_code,
                lot=key[1],
                reference=number,
                reason=SHORTAGE_REASON,
            )
            cap = _in_transit_cap(number, key[0], skus[key[0]], key[1], flows)
            items.append(
                PendingScan(scan, self.who, route=Route.transit_loss, authorized=True, caps=(cap,))
            )
        return items

    async def complete(self, number: str) -> TransferPublic:
        """Record the outcome on the lines and set the status."""
        doc = await self.doc(number)
        t = doc.transfer
        assert t.id is not None
        flows = await self.flows(doc)
        if any(flows.remaining(k) > 0 for k in flows.shipped):
            raise errors.InvalidState(f"{number} still has goods in transit; complete it again.")
        lines = {(ln.product_id, ln.lot_number): ln for ln in await self.repo.lines(t.id)}
        for key in flows.shipped:
            ln = lines.get(key) or TransferLine(
                transfer_id=t.id, product_id=key[0], lot_number=key[1]
            )
            ln.shipped_qty = flows.shipped.get(key, ZERO)
            ln.received_qty = flows.received.get(key, ZERO)
            ln.short_qty = flows.short.get(key, ZERO)
            await self.repo.add(ln)
        short = any(v > 0 for v in flows.short.values())
        t.status = TransferStatus.discrepancy if short else TransferStatus.received
        t.completed_at = _now()
        await self.repo.add(t)
        return await self.public(number)


class TransferFlow:
    """Scans and completion: check (a read transaction), post (the writer), answer."""

    def __init__(self, db: Database, writer: ScanWriter, who: Principal) -> None:
        self.db = db
        self.writer = writer
        self.who = who

    def _service(self, session: AsyncSession) -> TransferService:
        return TransferService(TransfersRepository(session), self.who)

    async def ship(self, number: str, data: TransferScanIn) -> ScanResult:
        async with self.db.session() as session:
            item = await self._service(session).ship_scan(number, data)
        return await self._post_one(item)

    async def receive(self, number: str, data: TransferScanIn) -> ScanResult:
        async with self.db.session() as session:
            item = await self._service(session).receive_scan(number, data)
        return await self._post_one(item)

    async def _post_one(self, item: PendingScan) -> ScanResult:
        (result,) = await self.writer.apply([item])
        if result.status == "rejected" and result.error is not None:
            err = result.error
            raise errors.from_code(err.code, err.message, err.details)
        return result

    async def complete(self, number: str) -> TransferPublic:
        async with self.db.session() as session:
            items = await self._service(session).shortages(number)
        for result in await self.writer.apply(items) if items else []:
            if result.status == "rejected" and result.error is not None:
                raise errors.from_code(result.error.code, result.error.message)
        async with self.db.session(write=True) as session:
            return await self._service(session).complete(number)


def _in_transit_cap(number: str, product_id: int, sku: str, lot: str | None, flows: Flows) -> Cap:
    """What is received and written off of a shipped (product, lot) never exceeds what was
    shipped: checked in the writer's transaction, so two receiving docks (or a dock racing the
    completion) cannot both take the last units. The in-transit location is shared by every
    transfer leaving the warehouse, so its balance alone would not stop one taking another's."""
    return Cap(
        f"{number}:{product_id}:{lot or ''}",
        flows.shipped.get((product_id, lot), ZERO),
        label=f"{number} {sku}{' lot ' + lot if lot else ''}",
    )
