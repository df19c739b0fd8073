"""SQL of adjustments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import col

from server.kit.repository import SessionRepository
from server.models import Adjustment, Location, Product, User, Warehouse


class AdjustmentsRepository(SessionRepository):
    conflict_message = "That adjustment was already requested."

    async def by_number(self, number: str) -> Adjustment | None:
        stmt = select(Adjustment).where(col(Adjustment.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_event(self, event_id: str) -> Adjustment | None:
        stmt = select(Adjustment).where(col(Adjustment.event_id) == event_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def adjustments(
        self, warehouse_ids: Sequence[int] | None, status: str | None, limit: int
    ) -> list[Adjustment]:
        stmt = select(Adjustment).order_by(col(Adjustment.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(Adjustment.warehouse_id).in_(warehouse_ids))
        if status is not None:
            stmt = stmt.where(col(Adjustment.status) == status)
        return list((await self.session.execute(stmt)).scalars())

    async def names(
        self, adjustments: Sequence[Adjustment]
    ) -> tuple[dict[int, str], dict[int, str], dict[int, str], dict[int, str]]:
        """Warehouse codes, location codes, SKUs and usernames the adjustments refer to."""
        ids = {a.warehouse_id for a in adjustments}
        whs = await self.session.execute(
            select(col(Warehouse.id), col(Warehouse.code)).where(col(Warehouse.id).in_(ids))
        )
        locs = await self.session.execute(
            select(col(Location.id), col(Location.code)).where(
                col(Location.id).in_({a.location_id for a in adjustments})
            )
        )
        skus = await self.session.execute(
            select(col(Product.id), col(Product.sku)).where(
                col(Product.id).in_({a.product_id for a in adjustments})
            )
        )
        people = {u for a in adjustments for u in (a.requested_by, a.decided_by) if u}
        users = await self.session.execute(
            select(col(User.id), col(User.username)).where(col(User.id).in_(people))
        )
        return (
            {i: c for i, c in whs if i is not None},
            {i: c for i, c in locs if i is not None},
            {i: c for i, c in skus if i is not None},
            {i: c for i, c in users if i is not None},
        )
