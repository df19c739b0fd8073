"""Returns (退货, RMA): goods of a shipped order come back, each line with a reason.

1. authorise: ``POST /api/returns`` against a shipped (or delivered) order; a product's
   quantity on the order's returns together never exceeds what was shipped (``over_return``);
2. receive by scan: customer -> the warehouse's returns location (``LocationKind.returns``:
   physical, not sellable; ``<WH>:RETURNS`` is created the first time), as a ledger
   ``receive`` scan on the ``from_customer`` route; each line's quantity is a ``Cap`` the
   writer checks in its transaction. Lots must be lots the order shipped;
3. restock (returns -> a shelf, a ``transfer`` scan) or scrap (returns -> the warehouse's
   scrap location, an ``adjust`` scan with a scrap reason) what was received;
4. close once nothing waits at the returns location.

What was received is credited to the customer at the order's price (it lowers their
receivables); the order lines show it as returned. Quantities are read from the ledger
(moves referencing the RMA number), then recorded on the lines in a second transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.auth.principal import SCAN_ROLES, Principal
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
    Location,
    LocationKind,
    MoveKind,
    Product,
    ReturnAuthorization,
    ReturnLine,
    ReturnStatus,
    SalesOrderStatus,
    Tracking,
)
from server.returns.repository import ReturnsRepository
from server.returns.schemas import (
    ReasonStat,
    ReturnCreate,
    ReturnLinePublic,
    ReturnPublic,
    ReturnScanIn,
)
from server.sales.repository import SalesRepository
from server.sales.service import SALES_ROLES, SalesService
from server.scans.schemas import ScanIn, ScanResult
from server.stream.hub import StockHub

RECEIVE_ROLES = SCAN_ROLES[MoveKind.receive]
RESTOCK_ROLES = SCAN_ROLES[MoveKind.transfer]
MILLI = Decimal("0.001")
LotKey = tuple[int, str | None]


def _now() -> datetime:
    return datetime.now(UTC)


class Flows:
    """An RMA's quantities per (product, lot), from its moves in the ledger."""

    def __init__(self) -> None:
        self.received: dict[LotKey, Decimal] = defaultdict(Decimal)
        self.restocked: dict[LotKey, Decimal] = defaultdict(Decimal)
        self.scrapped: dict[LotKey, Decimal] = defaultdict(Decimal)

    def waiting(self, key: LotKey) -> Decimal:
        return self.received[key] - self.restocked[key] - self.scrapped[key]

    def total(self, kind: dict[LotKey, Decimal], pid: int) -> Decimal:
        return sum((q for (p, _), q in kind.items() if p == pid), ZERO)


class ReturnService:
    def __init__(self, repo: ReturnsRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who
        self.sales = SalesService(SalesRepository(repo.session), who)
        self.catalog = CatalogRepository(repo.session)

    async def rma(self, number: str) -> ReturnAuthorization:
        rma = await self.repo.by_number(number)
        if rma is None or rma.id is None or not self.who.can_access(rma.warehouse_id):
            raise errors.NotFound(f"No return {number}.")
        return rma

    async def create(self, data: ReturnCreate) -> ReturnPublic:
        self.who.check_role(SALES_ROLES, "authorise returns")
        order = await self.sales.order(data.order)
        if order.status not in (SalesOrderStatus.shipped, SalesOrderStatus.delivered):
            raise errors.InvalidState(
                f"{order.number} is {order.status}; only a shipped order is returned."
            )
        assert order.id is not None
        lines = {ln.product_id: ln for ln in await self.sales.repo.lines(order.id)}
        products = await self.sales.repo.products_by_sku([ln.sku for ln in data.lines])
        authorized = await self.repo.authorized(order.id)
        rma = ReturnAuthorization(
            order_id=order.id,
            customer_id=order.customer_id,
            warehouse_id=order.warehouse_id,
            note=data.note,
            created_by=self.who.user_id,
        )
        await self.repo.add(rma)
        assert rma.id is not None
        rma.number = f"RMA-{rma.id:06d}"
        await self.repo.add(rma)
        for want in data.lines:
            product = products.get(want.sku)
            line = lines.get(product.id or 0) if product is not None else None
            if product is None or product.id is None or line is None:
                raise errors.WrongItem(f"{want.sku} was not on {order.number}.")
            may = line.shipped_qty - authorized.get(product.id, ZERO)
            if want.qty > may:
                raise errors.OverReturn(
                    f"{order.number} shipped {line.shipped_qty.normalize():f} of {want.sku}; "
                    f"{may.normalize():f} may still be returned, not {want.qty.normalize():f}.",
                    returnable=float(may),
                )
            await self.repo.add(
                ReturnLine(
                    return_id=rma.id,
                    product_id=product.id,
                    reason=want.reason,
                    qty=want.qty,
                    unit_price=line.unit_price,
                )
            )
        return await self.public(rma)

    async def returns_location(self, warehouse_id: int, *, create: bool) -> Location | None:
        loc = await self.repo.returns_location(warehouse_id)
        if loc is None and create:
            wh = await self.sales.warehouse(warehouse_id)
            loc = Location(
                warehouse_id=warehouse_id,
                code=f"{wh.code}:RETURNS",
                kind=LocationKind.returns,
                name="Customer returns",
            )
            await self.repo.add(loc)
        return loc

    async def flows(self, rma: ReturnAuthorization) -> Flows:
        flows = Flows()
        returns = await self.repo.returns_location(rma.warehouse_id)
        scrap = await self.sales.repo.virtual_location(rma.warehouse_id, LocationKind.scrap)
        for r in await LedgerRepository(self.repo.session).document_flows(rma.number or ""):
            key = (r.product_id, r.lot)
            if returns is not None and r.to_location_id == returns.id:
                flows.received[key] += r.qty
            elif returns is not None and r.from_location_id == returns.id:
                if scrap is not None and r.to_location_id == scrap.id:
                    flows.scrapped[key] += r.qty
                else:
                    flows.restocked[key] += r.qty
        return flows

    # --- scans (checks only; the flow posts) ---
    async def _item(
        self, rma: ReturnAuthorization, data: ReturnScanIn
    ) -> tuple[Product, ReturnLine, str | None, Decimal]:
        assert rma.id is not None
        index = await CodesRepository(self.repo.session).index([data.code])
        code = resolve(data.code, index)
        if code.product is None:
            raise code.not_a_product()
        lines = {ln.product_id: ln for ln in await self.repo.lines(rma.id)}
        product = (await self.sales.repo.products([code.product.id]))[code.product.id]
        line = lines.get(code.product.id)
        if line is None:
            raise errors.WrongItem(f"{product.sku} is not on return {rma.number}.")
        tracking = Tracking(product.tracking)
        lot = None
        if tracking == Tracking.serial:
            lot = data.lot or code.serial or code.lot
        elif tracking == Tracking.lot:
            lot = data.lot or code.lot
        qty = data.qty if data.qty is not None else (code.quantity or Decimal(1))
        if not qty.is_finite() or qty <= 0:
            raise errors.InvalidQuantity("A returned quantity is greater than 0.")
        return product, line, lot, qty

    async def replayed(self, number: str, action: str, data: ReturnScanIn) -> ScanResult | None:
        """The answer to a scan already posted (a retry), before any check could refuse it."""
        stored = await self.sales.repo.applied(document_event_id(number, action, data.event_id))
        if stored is None:
            return None
        original = ScanResult.model_validate_json(stored)
        return original.model_copy(update={"status": "duplicate"})

    async def receive_scan(self, number: str, data: ReturnScanIn) -> PendingScan | ScanResult:
        self.who.check_role(RECEIVE_ROLES, "receive returns")
        rma = await self.rma(number)
        self.who.check_warehouse(rma.warehouse_id)
        if (replay := await self.replayed(number, "receive", data)) is not None:
            return replay
        if rma.status not in (ReturnStatus.authorized, ReturnStatus.received):
            raise errors.InvalidState(f"Return {number} is {rma.status}.")
        product, line, lot, qty = await self._item(rma, data)
        if product.tracking != Tracking.none:
            order = await self.sales.order_by_id(rma.order_id)
            shipped = {
                lt for (_s, pid, lt) in await self.sales.shipped_by_lot(order) if pid == product.id
            }
            if lot is None:
                if len(shipped) != 1:
                    raise errors.LotRequired(f"{product.sku} is lot-tracked: scan its lot.")
                lot = next(iter(shipped))
            elif lot not in shipped:
                raise errors.WrongLot(
                    f"Lot {lot} of {product.sku} was not shipped on {order.number}.",
                    expected=sorted(x for x in shipped if x),
                )
        if data.location is not None:
            loc = await self.catalog.location_by_ref(data.location)
            if (
                loc is None
                or loc.warehouse_id != rma.warehouse_id
                or loc.kind != LocationKind.returns
            ):
                raise errors.InvalidLocation(f"{data.location} is not a returns location there.")
        else:
            loc = await self.returns_location(rma.warehouse_id, create=True)
        assert loc is not None
        flows = await self.flows(rma)
        left = line.qty - flows.total(flows.received, product.id or 0)
        if qty > left:
            raise errors.OverReturn(
                f"{number} expects {left.normalize():f} more of {product.sku}; "
                f"{qty.normalize():f} is too many.",
                expected=float(left),
            )
        scan = ScanIn(
            event_id=UUID(document_event_id(number, "receive", data.event_id)),
            type=MoveKind.receive,
            code=product.sku,
            qty=qty,
            location=loc.code,
            lot=lot,
            reference=number,
            scanned_at=data.scanned_at,
        )
        cap = Cap(f"{number}:{line.id}:in", line.qty, f"{number} {product.sku}", errors.OverReturn)
        return PendingScan(scan, self.who, route=Route.from_customer, authorized=True, caps=(cap,))

    async def dispose_scan(
        self, number: str, data: ReturnScanIn, action: str
    ) -> PendingScan | ScanResult:
        """Restock (returns -> a shelf) or scrap (returns -> scrap) what was received."""
        if action == "restock":
            self.who.check_role(RESTOCK_ROLES, "restock returns")
        else:
            self.who.check_role(SALES_ROLES, "scrap returns")
        rma = await self.rma(number)
        self.who.check_warehouse(rma.warehouse_id)
        if (replay := await self.replayed(number, action, data)) is not None:
            return replay
        if rma.status != ReturnStatus.received:
            raise errors.InvalidState(f"Return {number} is {rma.status}; nothing to {action}.")
        product, line, lot, qty = await self._item(rma, data)
        flows = await self.flows(rma)
        held = [k for k in flows.received if k[0] == product.id and flows.waiting(k) > 0]
        if lot is None and product.tracking != Tracking.none:
            if len(held) != 1:
                raise errors.LotRequired(f"{product.sku} is lot-tracked: scan its lot.")
            lot = held[0][1]
        waiting = flows.waiting((product.id or 0, lot))
        if qty > waiting:
            raise errors.OverReturn(
                f"{waiting.normalize():f} of {product.sku}{' lot ' + lot if lot else ''} "
                f"wait on {number}; {qty.normalize():f} cannot be {action}ed.",
                waiting=float(waiting),
            )
        returns = await self.returns_location(rma.warehouse_id, create=False)
        if returns is None:
            raise errors.InvalidLocation("The warehouse's returns location is switched off.")
        cap = Cap(f"{number}:{line.id}:out", line.qty, f"{number} {product.sku}", errors.OverReturn)
        if action == "restock":
            if data.location is None:
                raise errors.InvalidLocation("Restock to a shelf: say which location.")
            shelf = await self.catalog.location_by_ref(data.location)
            if (
                shelf is None
                or shelf.warehouse_id != rma.warehouse_id
                or shelf.kind != LocationKind.bin
            ):
                raise errors.InvalidLocation(f"{data.location} is not a shelf of this warehouse.")
            scan = ScanIn(
                event_id=UUID(document_event_id(number, "restock", data.event_id)),
                type=MoveKind.transfer,
                code=product.sku,
                qty=qty,
                location=returns.code,
                to_location=shelf.code,
                lot=lot,
                reference=number,
                scanned_at=data.scanned_at,
            )
            return PendingScan(scan, self.who, authorized=True, caps=(cap,))
        scan = ScanIn(
            event_id=UUID(document_event_id(number, "scrap", data.event_id)),
            type=MoveKind.adjust,
            code=product.sku,
            qty=-qty,
            location=returns.code,
            lot=lot,
            reference=number,
            reason=f"scrap: returned ({line.reason})",
            scanned_at=data.scanned_at,
        )
        return PendingScan(scan, self.who, authorized=True, caps=(cap,))

    async def record(self, number: str) -> ReturnPublic:
        """After postings: quantities on the lines, the credit, the order's returned."""
        rma = await self.rma(number)
        assert rma.id is not None
        flows = await self.flows(rma)
        credit = ZERO
        for ln in await self.repo.lines(rma.id):
            ln.received_qty = flows.total(flows.received, ln.product_id)
            ln.restocked_qty = flows.total(flows.restocked, ln.product_id)
            ln.scrapped_qty = flows.total(flows.scrapped, ln.product_id)
            credit += (ln.received_qty * ln.unit_price).quantize(MILLI)
            await self.repo.add(ln)
        rma.credit_amount = credit
        if rma.status == ReturnStatus.authorized and any(flows.received.values()):
            rma.status = ReturnStatus.received
        await self.repo.add(rma)
        returned = await self.repo.received(rma.order_id)
        for line in await self.sales.repo.lines(rma.order_id):
            value = returned.get(line.product_id, ZERO)
            if value != line.returned_qty:
                line.returned_qty = value
                await self.repo.add(line)
        return await self.public(rma)

    async def close(self, number: str) -> ReturnPublic:
        self.who.check_role(SALES_ROLES, "close returns")
        rma = await self.rma(number)
        if rma.status not in (ReturnStatus.authorized, ReturnStatus.received):
            raise errors.InvalidState(f"Return {number} is {rma.status}.")
        flows = await self.flows(rma)
        if any(flows.waiting(k) > 0 for k in flows.received):
            raise errors.InvalidState(
                f"Goods of {number} still wait at the returns location: restock or scrap them."
            )
        received = any(flows.received.values())
        rma.status = ReturnStatus.closed if received else ReturnStatus.cancelled
        rma.closed_at = _now()
        await self.repo.add(rma)
        return await self.public(rma)

    # --- reads ---
    async def public(self, rma: ReturnAuthorization) -> ReturnPublic:
        assert rma.id is not None
        lines = await self.repo.lines(rma.id)
        products = await self.sales.repo.products([ln.product_id for ln in lines])
        order = await self.sales.order_by_id(rma.order_id)
        customer = await self.sales.customer(order)
        wh = await self.sales.warehouse(rma.warehouse_id)
        returns = await self.repo.returns_location(rma.warehouse_id)
        return ReturnPublic(
            number=rma.number or "",
            order=order.number or "",
            customer=customer.code,
            warehouse=wh.code,
            status=rma.status,
            note=rma.note,
            returns_location=returns.code if returns else f"{wh.code}:RETURNS",
            credit_amount=rma.credit_amount,
            created_at=rma.created_at,
            closed_at=rma.closed_at,
            lines=[
                ReturnLinePublic(
                    sku=products[ln.product_id].sku,
                    reason=ln.reason,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    received=ln.received_qty,
                    restocked=ln.restocked_qty,
                    scrapped=ln.scrapped_qty,
                    waiting=ln.received_qty - ln.restocked_qty - ln.scrapped_qty,
                )
                for ln in lines
            ],
        )

    async def get(self, number: str) -> ReturnPublic:
        return await self.public(await self.rma(number))

    async def listing(
        self, warehouse: str | None, status: str | None, limit: int
    ) -> list[ReturnPublic]:
        ids = await self.sales.scope(warehouse)
        if status is not None and status not in {s.value for s in ReturnStatus}:
            raise errors.Invalid(f"No return status {status}.")
        return [await self.public(r) for r in await self.repo.listing(ids, status, limit)]

    async def reasons(
        self, warehouse: str | None, since: datetime | None, until: datetime | None
    ) -> list[ReasonStat]:
        ids = await self.sales.scope(warehouse)
        rows = await self.repo.reasons(ids, since, until)
        stats = [
            ReasonStat(
                reason=r.reason, sku=r.sku, returns=r.returns, qty=r.qty, received=r.received
            )
            for r in rows
        ]
        return sorted(stats, key=lambda s: (-s.qty, s.reason, s.sku))


class ReturnFlow:
    def __init__(self, db: Database, writer: ScanWriter, hub: StockHub, who: Principal) -> None:
        self.db = db
        self.writer = writer
        self.hub = hub
        self.who = who

    def _service(self, session: AsyncSession) -> ReturnService:
        return ReturnService(ReturnsRepository(session), self.who)

    async def _event(self, public: ReturnPublic, event: str) -> None:
        message: dict[str, Any] = {
            "type": "return",
            "event": event,
            "warehouse": public.warehouse,
            "number": public.number,
            "order": public.order,
            "status": public.status,
            "at": _now().isoformat(),
        }
        await self.hub.publish_events([message])

    async def create(self, data: ReturnCreate) -> ReturnPublic:
        async with self.db.session(write=True) as session:
            public = await self._service(session).create(data)
        await self._event(public, "authorized")
        return public

    async def close(self, number: str) -> ReturnPublic:
        async with self.db.session(write=True) as session:
            public = await self._service(session).close(number)
        await self._event(public, "closed")
        return public

    async def scan(self, number: str, data: ReturnScanIn, action: str) -> ScanResult:
        async with self.db.session(write=True) as session:  # may create <WH>:RETURNS
            service = self._service(session)
            if action == "receive":
                item = await service.receive_scan(number, data)
            else:
                item = await service.dispose_scan(number, data, action)
        if isinstance(item, ScanResult):
            result = item
        else:
            (result,) = await self.writer.apply([item])
            if result.status == "rejected" and result.error is not None:
                err = result.error
                raise errors.from_code(err.code, err.message, err.details)
        async with self.db.session(write=True) as session:
            public = await self._service(session).record(number)
        await self._event(public, action)
        return result.model_copy(update={"event_id": str(data.event_id)})
