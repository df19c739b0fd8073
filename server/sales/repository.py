"""SQL of sales orders: orders, lines, status history, reservations and availability.

Availability (available to promise) per warehouse and product = on hand in sellable
locations (``SELLABLE_KINDS``; expired lots excluded: they may not be picked) - the open
reservations. ``lock_warehouse`` serialises everything that promises stock in one warehouse
(confirming orders, allocating pick lists) across processes: ``SELECT … FOR UPDATE`` on the
warehouse row on PostgreSQL; a SQLite write session already began ``IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    SELLABLE_KINDS,
    CreditRelease,
    Location,
    Lot,
    Package,
    PickLine,
    PickList,
    PickListOrder,
    PostingCap,
    Product,
    Reservation,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    SalesOrderStatus,
    ScanEvent,
    StockQuant,
    User,
    Warehouse,
)

# A sales order's paperwork carries its number as a barcode: scanning it resolves to it.
SALES_ORDER_DOCUMENT = DocumentKind(
    "sales_order",
    "SO-",
    documents_by_number(SalesOrder),
)


def sellable_on_hand(warehouse_ids: Sequence[int] | None, today: date) -> Any:
    """On hand per (warehouse, product) on sellable shelves, expired lots left out."""
    stmt: Any = (
        select(
            col(Location.warehouse_id).label("warehouse_id"),
            col(StockQuant.product_id).label("product_id"),
            func.sum(col(StockQuant.qty)).label("qty"),
        )
        .join(Location, col(Location.id) == col(StockQuant.location_id))
        .outerjoin(Lot, col(Lot.id) == col(StockQuant.lot_id))
        .where(
            col(Location.kind).in_(list(SELLABLE_KINDS)),
            or_(col(Lot.expiry).is_(None), col(Lot.expiry) >= today),
        )
        .group_by(col(Location.warehouse_id), col(StockQuant.product_id))
    )
    if warehouse_ids is not None:
        stmt = stmt.where(col(Location.warehouse_id).in_(list(warehouse_ids)))
    return stmt


def open_reservations(warehouse_ids: Sequence[int] | None) -> Any:
    stmt: Any = (
        select(
            col(Reservation.warehouse_id).label("warehouse_id"),
            col(Reservation.product_id).label("product_id"),
            func.sum(col(Reservation.qty)).label("qty"),
        )
        .where(col(Reservation.qty) > 0)
        .group_by(col(Reservation.warehouse_id), col(Reservation.product_id))
    )
    if warehouse_ids is not None:
        stmt = stmt.where(col(Reservation.warehouse_id).in_(list(warehouse_ids)))
    return stmt


def unrecorded_picks(warehouse_ids: Sequence[int] | None) -> Any:
    """Picks the ledger made (their cap's usage) that the pick list has not recorded yet,
    per (warehouse, product): between the two transactions of a pick they are off the
    shelves but still in the reservation, so availability adds them back. Two sums, not
    one of a difference: SUM keeps the quantity type, arithmetic would not."""
    key = col(PickList.number) + ":" + cast(col(PickLine.id), String)
    stmt: Any = (
        select(
            col(PickList.warehouse_id).label("warehouse_id"),
            col(PickLine.product_id).label("product_id"),
            func.sum(col(PostingCap.used)).label("used"),
            func.sum(col(PickLine.picked_qty)).label("recorded"),
        )
        .join(PickList, col(PickList.id) == col(PickLine.pick_list_id))
        .join(PostingCap, col(PostingCap.key) == key)
        .where(col(PickList.status) == "open")
        .group_by(col(PickList.warehouse_id), col(PickLine.product_id))
    )
    if warehouse_ids is not None:
        stmt = stmt.where(col(PickList.warehouse_id).in_(list(warehouse_ids)))
    return stmt


class SalesRepository(SessionRepository):
    conflict_message = "That sales order already exists."

    async def lock_warehouse(self, warehouse_id: int) -> None:
        stmt = select(col(Warehouse.id)).where(col(Warehouse.id) == warehouse_id).with_for_update()
        await self.session.execute(stmt)

    async def by_number(self, number: str) -> SalesOrder | None:
        stmt = select(SalesOrder).where(col(SalesOrder.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_id(self, order_id: int) -> SalesOrder | None:
        return await self.session.get(SalesOrder, order_id)

    async def orders(
        self,
        warehouse_ids: Sequence[int] | None,
        status: str | None,
        customer_id: int | None,
        limit: int,
        offset: int,
    ) -> list[SalesOrder]:
        stmt = select(SalesOrder).order_by(col(SalesOrder.id).desc()).limit(limit).offset(offset)
        if warehouse_ids is not None:
            stmt = stmt.where(col(SalesOrder.warehouse_id).in_(list(warehouse_ids)))
        if status is not None:
            stmt = stmt.where(col(SalesOrder.status) == status)
        if customer_id is not None:
            stmt = stmt.where(col(SalesOrder.customer_id) == customer_id)
        return list((await self.session.execute(stmt)).scalars())

    async def lines(self, order_id: int) -> list[SalesOrderLine]:
        stmt = select(SalesOrderLine).where(col(SalesOrderLine.order_id) == order_id)
        return list(
            (await self.session.execute(stmt.order_by(col(SalesOrderLine.line_no)))).scalars()
        )

    async def delete_lines(self, order_id: int) -> None:
        await self.session.execute(
            delete(SalesOrderLine).where(col(SalesOrderLine.order_id) == order_id)
        )

    async def products(self, ids: Sequence[int]) -> dict[int, Product]:
        if not ids:
            return {}
        stmt = select(Product).where(col(Product.id).in_(list(ids)))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars() if p.id}

    async def products_by_sku(self, skus: Sequence[str]) -> dict[str, Product]:
        if not skus:
            return {}
        stmt = select(Product).where(col(Product.sku).in_(list(skus)))
        return {p.sku: p for p in (await self.session.execute(stmt)).scalars()}

    # --- availability and reservations ---
    async def available(
        self, warehouse_id: int, product_ids: Sequence[int], today: date
    ) -> dict[int, tuple[Decimal, Decimal]]:
        """(sellable on hand, reserved) per product in one warehouse."""
        out: dict[int, tuple[Decimal, Decimal]] = {
            pid: (Decimal(0), Decimal(0)) for pid in product_ids
        }
        if not product_ids:
            return out
        on_hand = sellable_on_hand([warehouse_id], today).where(
            col(StockQuant.product_id).in_(list(product_ids))
        )
        for row in await self.session.execute(on_hand):
            out[row.product_id] = (row.qty, out[row.product_id][1])
        reserved = open_reservations([warehouse_id]).where(
            col(Reservation.product_id).in_(list(product_ids))
        )
        for row in await self.session.execute(reserved):
            out[row.product_id] = (out[row.product_id][0], row.qty)
        picks = unrecorded_picks([warehouse_id]).where(
            col(PickLine.product_id).in_(list(product_ids))
        )
        for row in await self.session.execute(picks):
            on_hand, reserved_qty = out[row.product_id]
            out[row.product_id] = (on_hand, reserved_qty - (row.used - row.recorded))
        return out

    async def availability(
        self, warehouse_ids: Sequence[int] | None, product_id: int | None, today: date
    ) -> list[tuple[int, int, Decimal, Decimal]]:
        """(warehouse, product, sellable on hand, reserved) for every pair with either."""
        on_hand = sellable_on_hand(warehouse_ids, today)
        reserved = open_reservations(warehouse_ids)
        if product_id is not None:
            on_hand = on_hand.where(col(StockQuant.product_id) == product_id)
            reserved = reserved.where(col(Reservation.product_id) == product_id)
        figures: dict[tuple[int, int], list[Decimal]] = {}
        for row in await self.session.execute(on_hand):
            figures.setdefault((row.warehouse_id, row.product_id), [Decimal(0), Decimal(0)])[0] = (
                row.qty
            )
        for row in await self.session.execute(reserved):
            figures.setdefault((row.warehouse_id, row.product_id), [Decimal(0), Decimal(0)])[1] = (
                row.qty
            )
        picks = unrecorded_picks(warehouse_ids)
        if product_id is not None:
            picks = picks.where(col(PickLine.product_id) == product_id)
        for row in await self.session.execute(picks):
            pair = figures.setdefault((row.warehouse_id, row.product_id), [Decimal(0), Decimal(0)])
            pair[1] -= row.used - row.recorded
        return [(w, p, v[0], v[1]) for (w, p), v in sorted(figures.items()) if v[0] or v[1]]

    async def reservations(self, order_id: int) -> dict[int, Reservation]:
        stmt = select(Reservation).where(col(Reservation.order_id) == order_id)
        return {r.line_id: r for r in (await self.session.execute(stmt)).scalars()}

    # --- picking and packing, as orders see them ---
    async def pick_lists(self, order_id: int) -> list[PickList]:
        stmt = (
            select(PickList)
            .join(PickListOrder, col(PickListOrder.pick_list_id) == col(PickList.id))
            .where(col(PickListOrder.order_id) == order_id)
            .order_by(col(PickList.id))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def pick_lines(self, order_id: int) -> list[PickLine]:
        stmt = select(PickLine).where(col(PickLine.order_id) == order_id)
        return list((await self.session.execute(stmt.order_by(col(PickLine.id)))).scalars())

    async def has_open_lines(self, pick_list_id: int) -> bool:
        stmt = select(col(PickLine.id)).where(
            col(PickLine.pick_list_id) == pick_list_id, col(PickLine.status) == "open"
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def lot_numbers(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(col(Lot.id), col(Lot.number)).where(col(Lot.id).in_(list(ids)))
        return {i: n for i, n in await self.session.execute(stmt) if i is not None}

    async def packages(self, order_id: int) -> list[Package]:
        stmt = select(Package).where(col(Package.order_id) == order_id)
        return list((await self.session.execute(stmt.order_by(col(Package.no)))).scalars())

    async def sscc_taken(self, ssccs: Sequence[str]) -> list[str]:
        if not ssccs:
            return []
        stmt = select(col(Package.sscc)).where(col(Package.sscc).in_(list(ssccs)))
        return [s for s in (await self.session.execute(stmt)).scalars() if s]

    # --- history, credit releases ---
    async def events(self, order_id: int) -> list[tuple[SalesOrderEvent, str | None]]:
        stmt: Any = (
            select(SalesOrderEvent, col(User.username))
            .outerjoin(User, col(User.id) == col(SalesOrderEvent.user_id))
            .where(col(SalesOrderEvent.order_id) == order_id)
            .order_by(col(SalesOrderEvent.id))
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def credit_releases(self, order_id: int) -> list[tuple[CreditRelease, str | None]]:
        stmt: Any = (
            select(CreditRelease, col(User.username))
            .outerjoin(User, col(User.id) == col(CreditRelease.released_by))
            .where(col(CreditRelease.order_id) == order_id)
            .order_by(col(CreditRelease.id))
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def applied(self, event_id: str) -> str | None:
        """The stored answer to an applied scan: a document's pre-checks must not refuse
        the retry of a posting that already happened (it is answered ``duplicate``)."""
        stmt = select(col(ScanEvent.result)).where(col(ScanEvent.event_id) == event_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def virtual_location(self, warehouse_id: int, kind: str) -> Location | None:
        stmt = select(Location).where(
            col(Location.warehouse_id) == warehouse_id, col(Location.kind) == kind
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def location(self, location_id: int) -> Location | None:
        return await self.session.get(Location, location_id)

    async def locations_by_id(self, ids: Sequence[int]) -> dict[int, Location]:
        if not ids:
            return {}
        stmt = select(Location).where(col(Location.id).in_(list(ids)))
        return {loc.id: loc for loc in (await self.session.execute(stmt)).scalars() if loc.id}

    # --- on-time delivery ---
    async def measured(
        self,
        warehouse_ids: Sequence[int] | None,
        basis: str,
        since: datetime | None,
        until: datetime | None,
    ) -> list[SalesOrder]:
        """Orders with a promised date that were shipped/delivered in the window."""
        when = col(SalesOrder.delivered_at) if basis == "delivered" else col(SalesOrder.shipped_at)
        stmt = select(SalesOrder).where(
            col(SalesOrder.promised_date).is_not(None),
            when.is_not(None),
            col(SalesOrder.status) != SalesOrderStatus.cancelled,
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(SalesOrder.warehouse_id).in_(list(warehouse_ids)))
        if since is not None:
            stmt = stmt.where(when >= since)
        if until is not None:
            stmt = stmt.where(when < until)
        return list((await self.session.execute(stmt.order_by(when))).scalars())
