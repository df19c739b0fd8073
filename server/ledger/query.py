"""Ledger reads with the caller's warehouse scope applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.auth.principal import Principal
from server.catalog.repository import CatalogRepository
from server.ledger.messages import move_message
from server.ledger.repository import LedgerRepository


class LedgerQueries:
    def __init__(self, session: AsyncSession, who: Principal) -> None:
        self.repo = LedgerRepository(session)
        self.catalog = CatalogRepository(session)
        self.who = who

    async def _scope(self, warehouse: str | None) -> list[int] | None:
        if warehouse is None:
            return self.who.warehouse_scope
        wh = await self.catalog.warehouse(warehouse)
        if wh is None or wh.id is None:
            raise errors.NotFound(f"No warehouse {warehouse}.")
        self.who.check_warehouse(wh.id, wh.code)
        return [wh.id]

    async def stock(
        self,
        warehouse: str | None,
        location: str | None,
        sku: str | None,
        lot: str | None,
        include_virtual: bool,
        limit: int,
        offset: int,
    ) -> list[Row[Any]]:
        return await self.repo.stock(
            warehouse_ids=await self._scope(warehouse),
            location=location,
            sku=sku,
            lot=lot,
            include_virtual=include_virtual,
            limit=limit,
            offset=offset,
        )

    async def moves(self, since: int, limit: int, warehouse: str | None) -> list[dict[str, Any]]:
        rows = await self.repo.moves_since(since, limit, await self._scope(warehouse))
        return [move_message(r._mapping) for r in rows]
