"""SQL of pick lists: the documents, their lines, and the stock allocation chooses from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.ledger.repository import LedgerRepository
from server.models import (
    SELLABLE_KINDS,
    Location,
    LocationKind,
    Lot,
    PickLine,
    PickLineStatus,
    PickList,
    PickListOrder,
    PickListStatus,
    StockQuant,
    User,
)

# A pick list's paper carries its number as a barcode: scanning it opens the list.
PICK_LIST_DOCUMENT = DocumentKind(
    "pick_list",
    "PK-",
    documents_by_number(PickList),
)


class PickingRepository(SessionRepository):
    conflict_message = "That pick list already exists."

    async def by_number(self, number: str) -> PickList | None:
        stmt = select(PickList).where(col(PickList.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def listing(
        self,
        warehouse_ids: Sequence[int] | None,
        status: str | None,
        assigned_to: int | None,
        limit: int,
    ) -> list[PickList]:
        stmt = select(PickList).order_by(col(PickList.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(PickList.warehouse_id).in_(list(warehouse_ids)))
        if status is not None:
            stmt = stmt.where(col(PickList.status) == status)
        if assigned_to is not None:
            stmt = stmt.where(col(PickList.assigned_to) == assigned_to)
        return list((await self.session.execute(stmt)).scalars())

    async def claim(self, pick_list_id: int, user_id: int) -> bool:
        """Take an open list that nobody (or this user) holds; False when someone else does
        (a conditional update: two pickers racing for one list cannot both win)."""
        stmt = (
            update(PickList)
            .where(
                col(PickList.id) == pick_list_id,
                col(PickList.status) == PickListStatus.open,
                or_(col(PickList.assigned_to).is_(None), col(PickList.assigned_to) == user_id),
            )
            .values(assigned_to=user_id)
            .execution_options(synchronize_session=False)
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def unclaim(self, pick_list_id: int) -> None:
        stmt = (
            update(PickList)
            .where(col(PickList.id) == pick_list_id)
            .values(assigned_to=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def lines(self, pick_list_id: int) -> list[PickLine]:
        stmt = select(PickLine).where(col(PickLine.pick_list_id) == pick_list_id)
        return list(
            (
                await self.session.execute(stmt.order_by(col(PickLine.seq), col(PickLine.id)))
            ).scalars()
        )

    async def order_ids(self, pick_list_id: int) -> list[int]:
        stmt = select(col(PickListOrder.order_id)).where(
            col(PickListOrder.pick_list_id) == pick_list_id
        )
        return list((await self.session.execute(stmt.order_by(col(PickListOrder.id)))).scalars())

    async def staging_locations(self, warehouse_id: int) -> list[Location]:
        stmt = select(Location).where(
            col(Location.warehouse_id) == warehouse_id,
            col(Location.kind) == LocationKind.staging,
            col(Location.active).is_(True),
        )
        return list((await self.session.execute(stmt.order_by(col(Location.code)))).scalars())

    async def candidates(
        self, warehouse_id: int, product_id: int, today: date, exclude: Sequence[int]
    ) -> list[Row[Any]]:
        """Stock of a product on the sellable shelves of a warehouse, unexpired lots only,
        with what allocation sorts by (lot expiry and age, the walking route)."""
        stmt: Any = (
            select(
                col(StockQuant.location_id),
                col(StockQuant.lot_id),
                col(StockQuant.qty),
                col(Lot.number).label("lot"),
                col(Lot.expiry),
                col(Lot.created_at).label("lot_created_at"),
                col(Location.code),
                col(Location.zone),
                col(Location.pick_sequence),
            )
            .join(Location, col(Location.id) == col(StockQuant.location_id))
            .outerjoin(Lot, col(Lot.id) == col(StockQuant.lot_id))
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.kind).in_(list(SELLABLE_KINDS)),
                col(Location.active).is_(True),
                col(StockQuant.product_id) == product_id,
                col(StockQuant.qty) > 0,
                or_(col(Lot.expiry).is_(None), col(Lot.expiry) >= today),
            )
        )
        if exclude:
            stmt = stmt.where(col(StockQuant.location_id).not_in(list(exclude)))
        return list(await self.session.execute(stmt))

    async def allocated(
        self, warehouse_id: int, product_id: int
    ) -> dict[tuple[int, int | None], Decimal]:
        """What open pick lines still hold of a product, per (location, lot)."""
        stmt: Any = (
            select(
                col(PickLine.location_id),
                col(PickLine.lot_id),
                func.sum(col(PickLine.qty)).label("qty"),
                func.sum(col(PickLine.picked_qty)).label("picked"),
            )
            .join(PickList, col(PickList.id) == col(PickLine.pick_list_id))
            .where(
                col(PickList.warehouse_id) == warehouse_id,
                col(PickList.status) == PickListStatus.open,
                col(PickLine.status) == PickLineStatus.open,
                col(PickLine.product_id) == product_id,
            )
            .group_by(col(PickLine.location_id), col(PickLine.lot_id))
        )
        # Two sums, not one of a difference: SUM keeps the quantity column's type, an
        # arithmetic expression would come back in raw thousandths.
        return {
            (r.location_id, r.lot_id): r.qty - r.picked for r in await self.session.execute(stmt)
        }

    async def quant(self, location_id: int, product_id: int, lot_id: int | None) -> Decimal:
        stmt = select(col(StockQuant.qty)).where(
            col(StockQuant.location_id) == location_id,
            col(StockQuant.product_id) == product_id,
            col(StockQuant.lot_id) == lot_id
            if lot_id is not None
            else col(StockQuant.lot_id).is_(None),
        )
        value = (await self.session.execute(stmt)).scalar_one_or_none()
        return value if isinstance(value, Decimal) else Decimal(0)

    async def lot(self, product_id: int, number: str) -> Lot | None:
        stmt = select(Lot).where(col(Lot.product_id) == product_id, col(Lot.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lots(self, ids: Sequence[int]) -> dict[int, Lot]:
        if not ids:
            return {}
        stmt = select(Lot).where(col(Lot.id).in_(list(ids)))
        return {lot.id: lot for lot in (await self.session.execute(stmt)).scalars() if lot.id}

    async def cap_usage(self, keys: Sequence[str]) -> dict[str, Decimal]:
        return await LedgerRepository(self.session).cap_usage(keys)

    async def username(self, user_id: int) -> str | None:
        user = await self.session.get(User, user_id)
        return user.username if user is not None else None
