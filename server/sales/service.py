"""Sales orders (销售订单): draft -> (credit check) -> confirmed / reserved -> partially
picked -> picked -> packed -> shipped (invoiced) -> delivered (signed); cancelled before
anything was picked; ``credit_hold`` until a supervisor releases it.

- **Reservations.** Confirming reserves each line in the order's warehouse from what is
  available to promise (sellable on hand - open reservations). What is not covered is
  refused (``409 insufficient_available``, nothing written) or, for a back-order order
  (``backorder``, default ``JXC_SALES_BACKORDER``), back-ordered and reserved later with
  ``…/reserve``. The check and the write happen in one transaction under
  ``lock_warehouse`` (PostgreSQL: the warehouse row ``FOR UPDATE``; SQLite: the write
  transaction is ``BEGIN IMMEDIATE``), so twenty orders confirmed at once against stock for
  ten reserve exactly ten, in one process or several. A reservation shrinks as its line is
  picked (picked goods sit in staging, off the sellable shelves) and is released when the
  order ships or is cancelled.
- **Credit.** Before confirming: the customer's outstanding receivables (shipped orders'
  invoices - payments - return credits) + this order over the credit limit puts the order on
  ``credit_hold``. Before shipping: receivables + this shipment's value over the limit
  refuses the shipment (``409 credit_limit_exceeded``). Either way a supervisor may release
  it with a reason; who, when, why and the figures are kept (``credit_release``).
- **Shipping** posts the picked goods from staging to the warehouse's customer location
  through the ledger (``pick`` scans, ``reference`` = the order number, event ids derived
  from the order, so a retry never ships twice), then records quantities, the invoice amount
  and the status in a second transaction (a SQLite write transaction is never held across
  the writer's). One shipment per order: what was not picked (short, back-ordered) is not
  shipped and its reservation is released.
- Every status change is kept (``sales_order_event``) and published after its commit as a
  ``{"type": "sales_order", ...}`` event on the stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from scanner.symbology import has_valid_check_digit
from server import errors
from server.alerts.service import AlertEvaluator
from server.auth.principal import CATALOG_ROLES, SCAN_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.customers.repository import CustomersRepository
from server.customers.service import CustomerService
from server.db import Database
from server.kit.quantity import ZERO
from server.ledger.posting import document_event_id
from server.ledger.repository import LedgerRepository
from server.ledger.service import PendingScan
from server.ledger.writer import ScanWriter
from server.models import (
    CreditRelease,
    Customer,
    LocationKind,
    MoveKind,
    Package,
    PickLineStatus,
    PickListStatus,
    Reservation,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    SalesOrderStatus,
    Warehouse,
)
from server.sales.repository import SalesRepository
from server.sales.schemas import (
    AvailabilityRow,
    CancelIn,
    CreditCheckPublic,
    DeliverIn,
    OnTimeOrder,
    OnTimePublic,
    OrderLineIn,
    OrderLinePublic,
    PackagePublic,
    PackIn,
    SalesOrderCreate,
    SalesOrderPublic,
    SalesOrderUpdate,
    ShipIn,
    StatusEventPublic,
)
from server.scans.schemas import ScanIn
from server.stream.hub import StockHub

SALES_ROLES = CATALOG_ROLES  # supervisors and admins keep orders and release credit
FLOOR_ROLES = SCAN_ROLES[MoveKind.pick]  # whoever may pick may pack and load the truck
EDITABLE = (SalesOrderStatus.draft, SalesOrderStatus.credit_hold)
CANCELLABLE = (
    SalesOrderStatus.draft,
    SalesOrderStatus.credit_hold,
    SalesOrderStatus.confirmed,
    SalesOrderStatus.reserved,
)
# Accepted, not packed: picking moves these along (``progress``).
IN_PICKING = (
    SalesOrderStatus.confirmed,
    SalesOrderStatus.reserved,
    SalesOrderStatus.partially_picked,
    SalesOrderStatus.picked,
    SalesOrderStatus.backordered,
)
MILLI = Decimal("0.001")

Message = dict[str, Any]
LotKey = tuple[int, int, str | None]  # location, product, lot number


def _now() -> datetime:
    return datetime.now(UTC)


def open_reservation(ln: SalesOrderLine) -> Decimal:
    return max(ln.allotted_qty - ln.picked_qty - ln.short_qty, ZERO)


def progress(lines: Sequence[SalesOrderLine]) -> SalesOrderStatus:
    """Where picking has brought an accepted order (picked means: picked, not shipped yet)."""
    waiting = sum((ln.picked_qty - ln.shipped_qty for ln in lines), ZERO)
    pending = sum((open_reservation(ln) for ln in lines), ZERO)
    if waiting > 0:
        return SalesOrderStatus.picked if pending == 0 else SalesOrderStatus.partially_picked
    if pending == 0 and any(ln.shipped_qty for ln in lines):
        return SalesOrderStatus.backordered
    if all(ln.allotted_qty >= ln.qty for ln in lines) and pending > 0:
        return SalesOrderStatus.reserved
    return SalesOrderStatus.confirmed


def backordered(ln: SalesOrderLine) -> Decimal:
    """What an order line still waits for: ordered, not shipped, not given up as short."""
    return max(ln.qty - ln.shipped_qty - ln.short_qty, ZERO)


def on_time(order: SalesOrder, today: date) -> tuple[bool | None, int | None]:
    """Delivered (else shipped) on or before the promised date; an order not out yet and
    past its date is already late. (None, None) without a promised date or still in time."""
    if order.promised_date is None or order.status == SalesOrderStatus.cancelled:
        return None, None
    when = order.delivered_at or order.shipped_at
    if when is None:
        if today > order.promised_date:
            return False, (today - order.promised_date).days
        return None, None
    late = (when.astimezone(UTC).date() - order.promised_date).days
    return late <= 0, max(0, late)


class SalesService:
    def __init__(
        self, repo: SalesRepository, who: Principal, *, backorder_default: bool = False
    ) -> None:
        self.repo = repo
        self.who = who
        self.backorder_default = backorder_default
        self.catalog = CatalogRepository(repo.session)
        self.customers = CustomerService(CustomersRepository(repo.session), who)
        self.events: list[Message] = []  # published by the flow after the commit
        self.today = _now().date()

    # --- loading ---
    async def order(self, number: str) -> SalesOrder:
        order = await self.repo.by_number(number)
        if order is None or order.id is None or not self.who.can_access(order.warehouse_id):
            raise errors.NotFound(f"No sales order {number}.")
        return order

    async def order_by_id(self, order_id: int) -> SalesOrder:
        order = await self.repo.by_id(order_id)
        assert order is not None
        return order

    async def warehouse(self, warehouse_id: int) -> Warehouse:
        wh = await self.catalog.warehouse_by_id(warehouse_id)
        assert wh is not None
        return wh

    async def customer(self, order: SalesOrder) -> Customer:
        customer = await self.customers.repo.by_id(order.customer_id)
        assert customer is not None
        return customer

    async def set_status(
        self, order: SalesOrder, status: SalesOrderStatus, note: str | None = None
    ) -> None:
        """Change the status, keep the change in the history, queue the stream event."""
        assert order.id is not None
        old = order.status
        order.status = status
        await self.repo.add(order)
        await self.repo.add(
            SalesOrderEvent(
                order_id=order.id,
                from_status=old,
                to_status=status,
                note=note[:500] if note else None,
                user_id=self.who.user_id,
            )
        )
        wh = await self.warehouse(order.warehouse_id)
        customer = await self.customer(order)
        self.events.append(
            {
                "type": "sales_order",
                "event": "status",
                "warehouse": wh.code,
                "number": order.number,
                "customer": customer.code,
                "from_status": old,
                "status": status.value,
                "note": note,
                "at": _now().isoformat(),
            }
        )

    # --- creating and changing ---
    async def create(self, data: SalesOrderCreate) -> SalesOrderPublic:
        self.who.check_role(SALES_ROLES, "create sales orders")
        customer = await self.customers.get(data.customer)
        if not customer.active:
            raise errors.Invalid(f"Customer {customer.code} is inactive.")
        wh = await self.catalog.warehouse(data.warehouse)
        if wh is None or wh.id is None:
            raise errors.NotFound(f"No warehouse {data.warehouse}.")
        self.who.check_warehouse(wh.id, wh.code)
        assert customer.id is not None
        order = SalesOrder(
            customer_id=customer.id,
            warehouse_id=wh.id,
            backorder=self.backorder_default if data.backorder is None else data.backorder,
            promised_date=data.promised_date,
            customer_reference=data.customer_reference,
            ship_to=data.ship_to or await self.customers.default_address(customer),
            note=data.note,
            created_by=self.who.user_id,
        )
        await self.repo.add(order)
        assert order.id is not None
        order.number = f"SO-{order.id:06d}"
        await self._write_lines(order, data.lines)
        await self.repo.add(
            SalesOrderEvent(order_id=order.id, to_status=order.status, user_id=self.who.user_id)
        )
        self.events.append(
            {
                "type": "sales_order",
                "event": "created",
                "warehouse": wh.code,
                "number": order.number,
                "customer": customer.code,
                "from_status": None,
                "status": order.status.value,
                "note": None,
                "at": _now().isoformat(),
            }
        )
        return await self.public(order)

    async def _write_lines(self, order: SalesOrder, lines: Sequence[OrderLineIn]) -> None:
        assert order.id is not None
        products = await self.repo.products_by_sku([ln.sku for ln in lines])
        total = ZERO
        for no, ln in enumerate(lines, start=1):
            product = products.get(ln.sku)
            if product is None or product.id is None:
                raise errors.NotFound(f"No product {ln.sku}.")
            if not product.active:
                raise errors.ProductInactive(f"Product {product.sku} is archived.")
            await self.repo.add(
                SalesOrderLine(
                    order_id=order.id,
                    line_no=no,
                    product_id=product.id,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                )
            )
            total += (ln.qty * ln.unit_price).quantize(MILLI)
        order.total = total
        await self.repo.add(order)

    async def update(self, number: str, data: SalesOrderUpdate) -> SalesOrderPublic:
        self.who.check_role(SALES_ROLES, "change sales orders")
        order = await self.order(number)
        if order.status not in EDITABLE:
            raise errors.InvalidState(
                f"{number} is {order.status}: only a draft or held order changes."
            )
        for key, value in data.model_dump(exclude_unset=True, exclude={"lines"}).items():
            setattr(order, key, value)
        if data.lines is not None:
            assert order.id is not None
            await self.repo.delete_lines(order.id)
            await self._write_lines(order, data.lines)
        await self.repo.add(order)
        return await self.public(order)

    # --- confirming: credit check, then reservation ---
    async def confirm(self, number: str) -> SalesOrderPublic:
        self.who.check_role(SALES_ROLES, "confirm sales orders")
        order = await self.order(number)
        if order.status == SalesOrderStatus.credit_hold:
            raise errors.InvalidState(
                f"{number} is on credit hold: a supervisor releases it "
                f"(POST /api/sales-orders/{number}/release-credit)."
            )
        if order.status != SalesOrderStatus.draft:
            raise errors.InvalidState(f"{number} is {order.status}; only a draft is confirmed.")
        customer = await self.customer(order)
        assert customer.id is not None
        await self.customers.repo.lock(customer.id)  # one credit decision at a time
        credit = await self.customers.credit(customer)
        if not credit.allows(order.total):
            assert credit.limit is not None
            await self.set_status(
                order,
                SalesOrderStatus.credit_hold,
                f"credit check: receivables {credit.receivables:f} + this order "
                f"{order.total:f} over the limit {credit.limit:f}",
            )
            return await self.public(order)
        lines = await self._reserve(order)
        order.confirmed_at = _now()
        await self.set_status(order, progress(lines))
        return await self.public(order)

    async def reserve_backorders(self, number: str) -> SalesOrderPublic:
        """Reserve what was back-ordered, as far as stock now allows."""
        self.who.check_role(SALES_ROLES, "reserve sales orders")
        order = await self.order(number)
        if order.status not in IN_PICKING:
            raise errors.InvalidState(f"{number} is {order.status}; nothing to reserve.")
        assert order.id is not None
        if all(ln.allotted_qty >= ln.qty for ln in await self.repo.lines(order.id)):
            raise errors.InvalidState(f"{number} has nothing back-ordered.")
        lines = await self._reserve(order, partial=True)
        status = progress(lines)
        if status != order.status:
            await self.set_status(order, status, "back-order reserved")
        return await self.public(order)

    async def release_credit(self, number: str, reason: str) -> SalesOrderPublic:
        """A supervisor lets an order past the credit check: a held order is reserved like
        a confirmation; a packed order may then ship. Audited either way."""
        self.who.check_role(SALES_ROLES, "release a credit hold")
        order = await self.order(number)
        customer = await self.customer(order)
        assert customer.id is not None and order.id is not None and self.who.user_id is not None
        await self.customers.repo.lock(customer.id)
        credit = await self.customers.credit(customer)
        if order.status == SalesOrderStatus.credit_hold:
            stage, value = "confirm", order.total
        elif order.status == SalesOrderStatus.packed:
            stage, value = "ship", await self.shipment_value(order)
            if credit.allows(value):
                raise errors.InvalidState(f"{number} is within the credit limit; ship it.")
        else:
            raise errors.InvalidState(f"{number} is {order.status}; no credit check holds it.")
        await self.repo.add(
            CreditRelease(
                order_id=order.id,
                stage=stage,
                released_by=self.who.user_id,
                reason=reason,
                exposure=credit.receivables + value,
                credit_limit=credit.limit if credit.limit is not None else ZERO,
            )
        )
        if stage == "confirm":
            lines = await self._reserve(order)
            order.confirmed_at = _now()
            await self.set_status(order, progress(lines), f"credit released: {reason}")
        else:
            await self.repo.add(
                SalesOrderEvent(
                    order_id=order.id,
                    from_status=order.status,
                    to_status=order.status,
                    note=f"credit released for shipping: {reason}"[:500],
                    user_id=self.who.user_id,
                )
            )
        return await self.public(order)

    async def _reserve(self, order: SalesOrder, *, partial: bool = False) -> list[SalesOrderLine]:
        """Reserve what each line still lacks. Without back-ordering, all or nothing
        (``insufficient_available``)."""
        assert order.id is not None
        await self.repo.lock_warehouse(order.warehouse_id)
        lines = await self.repo.lines(order.id)
        figures = await self.repo.available(
            order.warehouse_id, [ln.product_id for ln in lines], self.today
        )
        products = await self.repo.products([ln.product_id for ln in lines])
        archived = sorted(p.sku for p in products.values() if not p.active)
        if archived:
            raise errors.ProductInactive(
                f"{', '.join(archived)} archived since the order was written; change the order."
            )
        short = []
        for ln in lines:
            on_hand, reserved = figures[ln.product_id]
            available = max(on_hand - reserved, ZERO)
            if ln.qty - ln.allotted_qty > available:
                short.append(
                    {
                        "sku": products[ln.product_id].sku,
                        "ordered": float(ln.qty - ln.allotted_qty),
                        "available": float(available),
                    }
                )
        if short and not (order.backorder or partial):
            what = "; ".join(f"{s['sku']}: {s['available']:g} of {s['ordered']:g}" for s in short)
            raise errors.InsufficientAvailable(
                f"Not enough available to promise {order.number} ({what}).", lines=short
            )
        reservations = await self.repo.reservations(order.id)
        for ln in lines:
            assert ln.id is not None
            on_hand, reserved = figures[ln.product_id]
            take = min(ln.qty - ln.allotted_qty, max(on_hand - reserved, ZERO))
            if take <= 0:
                continue
            ln.allotted_qty += take
            await self.repo.add(ln)
            r = reservations.get(ln.id) or Reservation(
                order_id=order.id,
                line_id=ln.id,
                warehouse_id=order.warehouse_id,
                product_id=ln.product_id,
                qty=ZERO,
            )
            r.qty = open_reservation(ln)
            await self.repo.add(r)
        return lines

    async def sync_reservations(self, order: SalesOrder) -> list[SalesOrderLine]:
        """After picking changed an order's lines: reservations follow, status moves on."""
        assert order.id is not None
        lines = await self.repo.lines(order.id)
        reservations = await self.repo.reservations(order.id)
        for ln in lines:
            r = reservations.get(ln.id or 0)
            if r is not None and r.qty != open_reservation(ln):
                r.qty = open_reservation(ln)
                await self.repo.add(r)
        if order.status in IN_PICKING:
            status = progress(lines)
            if status != order.status:
                await self.set_status(order, status)
        return lines

    async def release_reservations(self, order: SalesOrder) -> None:
        assert order.id is not None
        for r in (await self.repo.reservations(order.id)).values():
            if r.qty:
                r.qty = ZERO
                await self.repo.add(r)

    async def cancel(self, number: str, data: CancelIn) -> SalesOrderPublic:
        self.who.check_role(SALES_ROLES, "cancel sales orders")
        order = await self.order(number)
        if order.status == SalesOrderStatus.backordered:
            # What was shipped stays shipped (and invoiced); the customer gives up the rest.
            await self.release_reservations(order)
            note = "back-order cancelled" + (f": {data.reason}" if data.reason else "")
            await self.set_status(order, SalesOrderStatus.shipped, note)
            return await self.public(order)
        if order.status not in CANCELLABLE:
            raise errors.InvalidState(
                f"{number} is {order.status}; once picking has begun it can no longer be cancelled."
            )
        assert order.id is not None
        pick_lines = await self.repo.pick_lines(order.id)
        if any(pl.picked_qty for pl in pick_lines):
            raise errors.InvalidState(f"Goods of {number} were picked already.")
        touched = set()
        for pl in pick_lines:
            if pl.status == PickLineStatus.open:
                pl.status = PickLineStatus.cancelled
                touched.add(pl.pick_list_id)
                await self.repo.add(pl)
        for pick_list in await self.repo.pick_lists(order.id):
            if (
                pick_list.id in touched
                and pick_list.status == PickListStatus.open
                and not await self.repo.has_open_lines(pick_list.id or 0)
            ):
                pick_list.status = PickListStatus.cancelled
                await self.repo.add(pick_list)
        await self.release_reservations(order)
        order.cancelled_at = _now()
        await self.set_status(order, SalesOrderStatus.cancelled, data.reason)
        return await self.public(order)

    # --- packing ---
    async def pack(self, number: str, data: PackIn) -> SalesOrderPublic:
        self.who.check_role(FLOOR_ROLES, "pack orders")
        order = await self.order(number)
        if order.status != SalesOrderStatus.picked:
            raise errors.InvalidState(
                f"{number} is {order.status}; an order is packed once everything is picked."
            )
        assert order.id is not None
        ssccs = [p.sscc for p in data.packages if p.sscc]
        bad = [s for s in ssccs if not has_valid_check_digit(s)]
        if bad:
            raise errors.InvalidCode(f"SSCC {bad[0]} has a wrong check digit.")
        if len(set(ssccs)) != len(ssccs):
            raise errors.Invalid("Each package has its own SSCC.")
        taken = await self.repo.sscc_taken(ssccs)
        if taken:
            raise errors.AlreadyExists(f"SSCC {taken[0]} labels another package already.")
        first = len(await self.repo.packages(order.id)) + 1  # an earlier shipment's too
        for no, p in enumerate(data.packages, start=first):
            await self.repo.add(
                Package(
                    order_id=order.id,
                    no=no,
                    sscc=p.sscc,
                    weight_kg=p.weight_kg,
                    packed_by=self.who.user_id,
                )
            )
        order.packed_at = _now()
        await self.set_status(order, SalesOrderStatus.packed, f"{len(data.packages)} package(s)")
        return await self.public(order)

    # --- shipping (checks only; the flow posts) ---
    async def picked_by_lot(self, order: SalesOrder) -> dict[LotKey, Decimal]:
        """What was picked for the order into staging, per (staging, product, lot)."""
        assert order.id is not None
        lines = await self.repo.pick_lines(order.id)
        staging = {pl.id: pl.staging_id for pl in await self.repo.pick_lists(order.id)}
        lots = await self.repo.lot_numbers(sorted({ln.lot_id for ln in lines if ln.lot_id}))
        out: dict[LotKey, Decimal] = defaultdict(Decimal)
        for ln in lines:
            if ln.picked_qty:
                key = (staging[ln.pick_list_id], ln.product_id, lots.get(ln.lot_id or 0))
                out[key] += ln.picked_qty
        return out

    async def shipment_plan(self, order: SalesOrder) -> tuple[dict[LotKey, Decimal], Decimal]:
        """What ships: what was picked, never more of a product than was ordered (a pick
        that raced a short report stays in staging); and the excess left behind."""
        assert order.id is not None
        room = {ln.product_id: ln.qty for ln in await self.repo.lines(order.id)}
        plan: dict[LotKey, Decimal] = {}
        excess = ZERO
        picked = await self.picked_by_lot(order)
        for key in sorted(picked, key=lambda k: (k[0], k[1], k[2] or "")):
            take = min(picked[key], room.get(key[1], ZERO))
            room[key[1]] = room.get(key[1], ZERO) - take
            excess += picked[key] - take
            if take > 0:
                plan[key] = take
        return plan, excess

    async def shipped_by_lot(self, order: SalesOrder) -> dict[LotKey, Decimal]:
        """What the ledger shipped on the order, per (from location, product, lot)."""
        out: dict[LotKey, Decimal] = defaultdict(Decimal)
        customer = await self.repo.virtual_location(order.warehouse_id, LocationKind.customer)
        for r in await LedgerRepository(self.repo.session).document_flows(order.number or ""):
            if customer is not None and r.to_location_id == customer.id:
                out[(r.from_location_id, r.product_id, r.lot)] += r.qty
        return out

    async def shipment_value(self, order: SalesOrder) -> Decimal:
        """What shipping now would invoice: what is planned and not shipped yet, priced."""
        assert order.id is not None
        plan, _excess = await self.shipment_plan(order)
        shipped = await self.shipped_by_lot(order)
        prices = {ln.product_id: ln.unit_price for ln in await self.repo.lines(order.id)}
        return sum(
            (
                ((qty - shipped.get(key, ZERO)) * prices.get(key[1], ZERO)).quantize(MILLI)
                for key, qty in plan.items()
                if qty > shipped.get(key, ZERO)
            ),
            ZERO,
        )

    async def ship_items(self, number: str) -> list[PendingScan]:
        """Credit check, then staging -> customer for everything picked and not shipped."""
        self.who.check_role(FLOOR_ROLES, "ship orders")
        order = await self.order(number)
        self.who.check_warehouse(order.warehouse_id)
        if order.status != SalesOrderStatus.packed:
            raise errors.InvalidState(
                f"{number} is {order.status}; an order ships once it is picked and packed."
            )
        assert order.id is not None
        customer = await self.customer(order)
        credit = await self.customers.credit(customer)
        value = await self.shipment_value(order)
        released = any(r.stage == "ship" for r, _ in await self.repo.credit_releases(order.id))
        if not credit.allows(value) and not released:
            assert credit.limit is not None
            raise errors.CreditLimitExceeded(
                f"Shipping {number} ({value:f}) would take {customer.code}'s receivables "
                f"({credit.receivables:f}) over the credit limit ({credit.limit:f}); a "
                "supervisor may release it.",
                receivables=float(credit.receivables),
                shipment=float(value),
                credit_limit=float(credit.limit),
            )
        shipped = await self.shipped_by_lot(order)
        locations = await self.repo.locations_by_id(sorted({k[0] for k in shipped} | {0}))
        picked, _excess = await self.shipment_plan(order)
        locations.update(await self.repo.locations_by_id(sorted({k[0] for k in picked})))
        products = await self.repo.products(sorted({k[1] for k in picked}))
        items: list[PendingScan] = []
        for key in sorted(picked, key=lambda k: (k[0], k[1], k[2] or "")):
            staging, pid, lot = key
            left = picked[key] - shipped.get(key, ZERO)
            if left <= 0:
                continue
            scan = ScanIn(
                event_id=UUID(
                    document_event_id(number, "ship", order.shipments + 1, staging, pid, lot or "")
                ),
                type=MoveKind.pick,
                code=products[pid].sku,
                qty=left,
                location=locations[staging].code,
                lot=lot,
                reference=number,
            )
            items.append(PendingScan(scan, self.who, authorized=True))
        return items

    async def record_shipment(self, number: str, data: ShipIn) -> SalesOrderPublic:
        """After the postings: quantities, invoice, reservations released, status."""
        order = await self.order(number)
        if order.status != SalesOrderStatus.packed:
            return await self.public(order)  # a concurrent ship recorded it already
        assert order.id is not None
        plan, excess = await self.shipment_plan(order)
        shipped_lots = await self.shipped_by_lot(order)
        if any(shipped_lots.get(k, ZERO) < q for k, q in plan.items()):
            raise errors.InvalidState(f"{number} is not shipped in full yet; ship it again.")
        shipped: dict[int, Decimal] = defaultdict(Decimal)
        for (_staging, pid, _lot), qty in shipped_lots.items():
            shipped[pid] += qty
        invoiced = ZERO
        lines = await self.repo.lines(order.id)
        for ln in lines:
            ln.shipped_qty = shipped.get(ln.product_id, ZERO)
            invoiced += (ln.shipped_qty * ln.unit_price).quantize(MILLI)
            await self.repo.add(ln)
        waiting = order.backorder and any(backordered(ln) > 0 for ln in lines)
        if not waiting:
            await self.release_reservations(order)
        order.invoiced_amount = invoiced
        order.shipments += 1
        order.shipped_at = _now()
        order.carrier = data.carrier or order.carrier
        order.tracking_number = data.tracking_number or order.tracking_number
        note = f"shipment {order.shipments}; invoiced {invoiced:f}"
        if excess > 0:
            note += f"; {excess.normalize():f} picked beyond the order stay in staging"
        if waiting:
            note += "; the rest is back-ordered"
        status = SalesOrderStatus.backordered if waiting else SalesOrderStatus.shipped
        await self.set_status(order, status, note)
        return await self.public(order)

    async def deliver(self, number: str, data: DeliverIn) -> SalesOrderPublic:
        self.who.check_role(FLOOR_ROLES | SALES_ROLES, "confirm deliveries")
        order = await self.order(number)
        if order.status != SalesOrderStatus.shipped:
            raise errors.InvalidState(
                f"{number} is {order.status}; only a shipped order is delivered."
            )
        when = data.delivered_at or _now()
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        assert order.shipped_at is not None
        if when < order.shipped_at or when > _now():
            raise errors.Invalid("delivered_at lies between the shipment and now.")
        order.delivered_at, order.signed_by = when, data.signed_by
        await self.set_status(order, SalesOrderStatus.delivered, f"signed by {data.signed_by}")
        return await self.public(order)

    # --- reads ---
    async def public(self, order: SalesOrder) -> SalesOrderPublic:
        assert order.id is not None
        lines = await self.repo.lines(order.id)
        products = await self.repo.products([ln.product_id for ln in lines])
        customer = await self.customer(order)
        wh = await self.warehouse(order.warehouse_id)
        ok, late = on_time(order, self.today)
        releases = [
            CreditCheckPublic(
                stage=r.stage,
                credit_limit=r.credit_limit,
                exposure=r.exposure,
                released_by=who,
                released_at=r.released_at,
                reason=r.reason,
            )
            for r, who in await self.repo.credit_releases(order.id)
        ]
        accepted = order.status not in (*EDITABLE, SalesOrderStatus.cancelled)
        return SalesOrderPublic(
            number=order.number or "",
            customer=customer.code,
            customer_name=customer.name,
            warehouse=wh.code,
            status=order.status,
            backorder=order.backorder,
            customer_reference=order.customer_reference,
            ship_to=order.ship_to,
            promised_date=order.promised_date,
            note=order.note,
            total=order.total,
            invoiced=order.invoiced_amount,
            shipments=order.shipments,
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            signed_by=order.signed_by,
            created_at=order.created_at,
            confirmed_at=order.confirmed_at,
            packed_at=order.packed_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            cancelled_at=order.cancelled_at,
            on_time=ok,
            days_late=late,
            pick_lists=[pl.number or "" for pl in await self.repo.pick_lists(order.id)],
            packages=[
                PackagePublic(no=p.no, sscc=p.sscc, weight_kg=p.weight_kg)
                for p in await self.repo.packages(order.id)
            ],
            credit_releases=releases,
            lines=[
                OrderLinePublic(
                    line_no=ln.line_no,
                    sku=products[ln.product_id].sku,
                    name=products[ln.product_id].name,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    amount=(ln.qty * ln.unit_price).quantize(MILLI),
                    allotted=ln.allotted_qty,
                    backordered=(
                        ln.qty - ln.allotted_qty
                        if accepted
                        and order.status
                        not in (SalesOrderStatus.shipped, SalesOrderStatus.delivered)
                        else ZERO
                    ),
                    reserved=(
                        open_reservation(ln)
                        if order.status in IN_PICKING or order.status == SalesOrderStatus.packed
                        else ZERO
                    ),
                    picked=ln.picked_qty,
                    short=ln.short_qty,
                    shipped=ln.shipped_qty,
                    returned=ln.returned_qty,
                )
                for ln in lines
            ],
        )

    async def get(self, number: str) -> SalesOrderPublic:
        return await self.public(await self.order(number))

    async def listing(
        self,
        warehouse: str | None,
        status: str | None,
        customer: str | None,
        limit: int,
        offset: int,
    ) -> list[SalesOrderPublic]:
        ids = await self.scope(warehouse)
        customer_id = None
        if customer is not None:
            customer_id = (await self.customers.get(customer)).id
        if status is not None and status not in {s.value for s in SalesOrderStatus}:
            raise errors.Invalid(f"No order status {status}.")
        orders = await self.repo.orders(ids, status, customer_id, limit, offset)
        return [await self.public(o) for o in orders]

    async def scope(self, warehouse: str | None) -> list[int] | None:
        if warehouse is None:
            return self.who.warehouse_scope
        wh = await self.catalog.warehouse(warehouse)
        if wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No warehouse {warehouse}.")
        return [wh.id]

    async def history(self, number: str) -> list[StatusEventPublic]:
        order = await self.order(number)
        assert order.id is not None
        return [
            StatusEventPublic(
                at=e.at, from_status=e.from_status, to_status=e.to_status, note=e.note, user=who
            )
            for e, who in await self.repo.events(order.id)
        ]

    async def availability(self, warehouse: str | None, sku: str | None) -> list[AvailabilityRow]:
        ids = await self.scope(warehouse)
        product_id = None
        if sku is not None:
            product = await self.catalog.product(sku)
            if product is None or product.id is None:
                raise errors.NotFound(f"No product {sku}.")
            product_id = product.id
        rows = await self.repo.availability(ids, product_id, self.today)
        products = await self.repo.products(sorted({p for _, p, _, _ in rows}))
        codes = {w.id: w.code for w in await self.catalog.warehouses(None) if w.id}
        return [
            AvailabilityRow(
                warehouse=codes[w],
                sku=products[p].sku,
                on_hand=on_hand,
                reserved=reserved,
                available=on_hand - reserved,
            )
            for w, p, on_hand, reserved in rows
        ]

    async def on_time_rate(
        self, warehouse: str | None, since: datetime | None, until: datetime | None, basis: str
    ) -> OnTimePublic:
        ids = await self.scope(warehouse)
        details = []
        for order in await self.repo.measured(ids, basis, since, until):
            when = order.delivered_at if basis == "delivered" else order.shipped_at
            assert when is not None and order.promised_date is not None
            late = (when.astimezone(UTC).date() - order.promised_date).days
            customer = await self.customer(order)
            details.append(
                OnTimeOrder(
                    number=order.number or "",
                    customer=customer.code,
                    promised_date=order.promised_date,
                    measured_at=when,
                    on_time=late <= 0,
                    days_late=max(0, late),
                )
            )
        good = sum(1 for d in details if d.on_time)
        return OnTimePublic(
            basis=basis,
            orders=len(details),
            on_time=good,
            late=len(details) - good,
            rate=round(good / len(details), 4) if details else None,
            details=details,
        )


class SalesFlow:
    """Units of work that publish after their commit, and shipping through the writer."""

    def __init__(
        self,
        db: Database,
        writer: ScanWriter,
        hub: StockHub,
        who: Principal,
        alerts: AlertEvaluator,
        *,
        backorder_default: bool = False,
    ) -> None:
        self.db = db
        self.writer = writer
        self.hub = hub
        self.who = who
        self.alerts = alerts
        self.backorder_default = backorder_default

    def _service(self, session: AsyncSession) -> SalesService:
        return SalesService(
            SalesRepository(session), self.who, backorder_default=self.backorder_default
        )

    async def publish(self, events: list[Message]) -> None:
        if events:
            await self.hub.publish_events(events)

    async def _run(
        self, action: Callable[[SalesService], Awaitable[SalesOrderPublic]]
    ) -> SalesOrderPublic:
        """One unit of work, then its events (after the commit)."""
        async with self.db.session(write=True) as session:
            service = self._service(session)
            result = await action(service)
        await self.publish(service.events)
        return result

    async def create(self, data: SalesOrderCreate) -> SalesOrderPublic:
        return await self._run(lambda s: s.create(data))

    async def confirm(self, number: str) -> SalesOrderPublic:
        return await self._run(lambda s: s.confirm(number))

    async def reserve(self, number: str) -> SalesOrderPublic:
        return await self._run(lambda s: s.reserve_backorders(number))

    async def release_credit(self, number: str, reason: str) -> SalesOrderPublic:
        return await self._run(lambda s: s.release_credit(number, reason))

    async def pack(self, number: str, data: PackIn) -> SalesOrderPublic:
        return await self._run(lambda s: s.pack(number, data))

    async def cancel(self, number: str, data: CancelIn) -> SalesOrderPublic:
        result = await self._run(lambda s: s.cancel(number, data))
        self.rejudge(result)
        return result

    async def deliver(self, number: str, data: DeliverIn) -> SalesOrderPublic:
        return await self._run(lambda s: s.deliver(number, data))

    async def ship(self, number: str, data: ShipIn) -> SalesOrderPublic:
        async with self.db.session() as session:
            items = await self._service(session).ship_items(number)
        for posted in await self.writer.apply(items) if items else []:
            if posted.status == "rejected" and posted.error is not None:
                err = posted.error
                raise errors.from_code(err.code, err.message, err.details)
        result = await self._run(lambda s: s.record_shipment(number, data))
        self.rejudge(result)
        return result

    def rejudge(self, order: SalesOrderPublic) -> None:
        """Released reservations change availability: re-judge those stock alerts."""
        self.alerts.notify([{"warehouse": order.warehouse, "sku": ln.sku} for ln in order.lines])
