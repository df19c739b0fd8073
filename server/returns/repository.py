"""SQL of returns (RMA): the documents, their lines, and the reason statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    Location,
    LocationKind,
    Product,
    ReturnAuthorization,
    ReturnLine,
    ReturnStatus,
)

# An RMA's label carries its number as a barcode: scanning it at the returns desk opens it.
RETURN_DOCUMENT = DocumentKind(
    "return",
    "RMA-",
    documents_by_number(ReturnAuthorization),
)


class ReturnsRepository(SessionRepository):
    conflict_message = "That return already exists."

    async def by_number(self, number: str) -> ReturnAuthorization | None:
        stmt = select(ReturnAuthorization).where(col(ReturnAuthorization.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def listing(
        self, warehouse_ids: Sequence[int] | None, status: str | None, limit: int
    ) -> list[ReturnAuthorization]:
        stmt = select(ReturnAuthorization).order_by(col(ReturnAuthorization.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(ReturnAuthorization.warehouse_id).in_(list(warehouse_ids)))
        if status is not None:
            stmt = stmt.where(col(ReturnAuthorization.status) == status)
        return list((await self.session.execute(stmt)).scalars())

    async def lines(self, return_id: int) -> list[ReturnLine]:
        stmt = select(ReturnLine).where(col(ReturnLine.return_id) == return_id)
        return list((await self.session.execute(stmt.order_by(col(ReturnLine.id)))).scalars())

    async def authorized(self, order_id: int) -> dict[int, Decimal]:
        """Per product, what the order's open or done returns (not cancelled) authorise."""
        stmt: Any = (
            select(col(ReturnLine.product_id), func.sum(col(ReturnLine.qty)).label("qty"))
            .join(ReturnAuthorization, col(ReturnAuthorization.id) == col(ReturnLine.return_id))
            .where(
                col(ReturnAuthorization.order_id) == order_id,
                col(ReturnAuthorization.status) != ReturnStatus.cancelled,
            )
            .group_by(col(ReturnLine.product_id))
        )
        return {r.product_id: r.qty for r in await self.session.execute(stmt)}

    async def received(self, order_id: int) -> dict[int, Decimal]:
        stmt: Any = (
            select(col(ReturnLine.product_id), func.sum(col(ReturnLine.received_qty)).label("qty"))
            .join(ReturnAuthorization, col(ReturnAuthorization.id) == col(ReturnLine.return_id))
            .where(col(ReturnAuthorization.order_id) == order_id)
            .group_by(col(ReturnLine.product_id))
        )
        return {r.product_id: r.qty for r in await self.session.execute(stmt)}

    async def returns_location(self, warehouse_id: int) -> Location | None:
        stmt = (
            select(Location)
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.kind) == LocationKind.returns,
                col(Location.active).is_(True),
            )
            .order_by(col(Location.id))
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def reasons(
        self, warehouse_ids: Sequence[int] | None, since: datetime | None, until: datetime | None
    ) -> list[Row[Any]]:
        stmt: Any = (
            select(
                col(ReturnLine.reason),
                col(Product.sku),
                func.count(col(ReturnLine.id)).label("returns"),
                func.sum(col(ReturnLine.qty)).label("qty"),
                func.sum(col(ReturnLine.received_qty)).label("received"),
            )
            .join(ReturnAuthorization, col(ReturnAuthorization.id) == col(ReturnLine.return_id))
            .join(Product, col(Product.id) == col(ReturnLine.product_id))
            .where(col(ReturnAuthorization.status) != ReturnStatus.cancelled)
            .group_by(col(ReturnLine.reason), col(Product.sku))
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(ReturnAuthorization.warehouse_id).in_(list(warehouse_ids)))
        if since is not None:
            stmt = stmt.where(col(ReturnAuthorization.created_at) >= since)
        if until is not None:
            stmt = stmt.where(col(ReturnAuthorization.created_at) < until)
        return list(await self.session.execute(stmt))
