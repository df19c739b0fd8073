"""SQL of transfers: the documents, and their quantities as the ledger has them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    VIRTUAL_KINDS,
    Location,
    Product,
    Transfer,
    TransferLine,
)

# A transfer's paperwork carries its number as a barcode: scanning it resolves to the transfer.
TRANSFER_DOCUMENT = DocumentKind(
    "transfer",
    "TR-",
    documents_by_number(Transfer),
)


class TransfersRepository(SessionRepository):
    conflict_message = "That transfer already exists."

    async def by_number(self, number: str) -> Transfer | None:
        stmt = select(Transfer).where(col(Transfer.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def transfers(
        self, warehouse_ids: Sequence[int] | None, status: str | None, limit: int
    ) -> list[Transfer]:
        stmt = select(Transfer).order_by(col(Transfer.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(
                or_(
                    col(Transfer.from_warehouse_id).in_(warehouse_ids),
                    col(Transfer.to_warehouse_id).in_(warehouse_ids),
                )
            )
        if status is not None:
            stmt = stmt.where(col(Transfer.status) == status)
        return list((await self.session.execute(stmt)).scalars())

    async def lines(self, transfer_id: int) -> list[TransferLine]:
        stmt = select(TransferLine).where(col(TransferLine.transfer_id) == transfer_id)
        return list((await self.session.execute(stmt.order_by(col(TransferLine.id)))).scalars())

    async def virtual_locations(self, warehouse_id: int) -> dict[str, Location]:
        stmt = select(Location).where(
            col(Location.warehouse_id) == warehouse_id,
            col(Location.kind).in_(list(VIRTUAL_KINDS)),
        )
        return {loc.kind: loc for loc in (await self.session.execute(stmt)).scalars()}

    async def product(self, product_id: int) -> Product | None:
        return await self.session.get(Product, product_id)

    async def skus(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(col(Product.id), col(Product.sku)).where(col(Product.id).in_(list(ids)))
        return {i: s for i, s in await self.session.execute(stmt) if i is not None}
