"""Reads of the ledger: ``GET /api/stock`` and ``GET /api/moves``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from server.deps import PrincipalDep, SessionDep
from server.ledger.query import LedgerQueries
from server.ledger.schemas import MovePublic, StockRow

router = APIRouter(prefix="/api", tags=["stock"])


@router.get("/stock")
async def get_stock(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    location: str | None = None,
    sku: str | None = None,
    lot: str | None = None,
    include_virtual: bool = False,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[StockRow]:
    """Quantity on hand per product, location and lot (non-zero only)."""
    rows = await LedgerQueries(session, who).stock(
        warehouse, location, sku, lot, include_virtual, limit, offset
    )
    return [StockRow.model_validate(r._mapping) for r in rows]


@router.get("/moves")
async def get_moves(
    session: SessionDep,
    who: PrincipalDep,
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
    warehouse: str | None = None,
) -> list[MovePublic]:
    """The ledger after ``since``, in ``seq`` order."""
    messages: list[dict[str, Any]] = await LedgerQueries(session, who).moves(
        since, limit, warehouse
    )
    return [MovePublic.model_validate(m) for m in messages]
