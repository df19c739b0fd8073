"""Returns (RMA): authorise against a shipped order, receive by scan, restock or scrap,
close; reasons by product."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from server.deps import PrincipalDep, SessionDep, StateDep
from server.returns.repository import ReturnsRepository
from server.returns.schemas import ReasonStat, ReturnCreate, ReturnPublic, ReturnScanIn
from server.returns.service import ReturnFlow, ReturnService
from server.scans.schemas import ScanResult

router = APIRouter(prefix="/api/returns", tags=["returns"])


def _flow(state: StateDep, who: PrincipalDep) -> ReturnFlow:
    return ReturnFlow(state.db, state.writer, state.hub, who)


@router.post("", status_code=201)
async def create_return(data: ReturnCreate, state: StateDep, who: PrincipalDep) -> ReturnPublic:
    return await _flow(state, who).create(data)


@router.get("")
async def list_returns(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ReturnPublic]:
    return await ReturnService(ReturnsRepository(session), who).listing(warehouse, status, limit)


@router.get("/reasons")
async def return_reasons(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ReasonStat]:
    """Returns counted by reason and product, most returned first."""
    return await ReturnService(ReturnsRepository(session), who).reasons(warehouse, since, until)


@router.get("/{number}")
async def get_return(number: str, session: SessionDep, who: PrincipalDep) -> ReturnPublic:
    return await ReturnService(ReturnsRepository(session), who).get(number)


@router.post("/{number}/receive")
async def receive(
    number: str, data: ReturnScanIn, state: StateDep, who: PrincipalDep
) -> ScanResult:
    """A returned item scanned in: customer -> the returns location."""
    return await _flow(state, who).scan(number, data, "receive")


@router.post("/{number}/restock")
async def restock(
    number: str, data: ReturnScanIn, state: StateDep, who: PrincipalDep
) -> ScanResult:
    """Returns location -> a shelf (``location``)."""
    return await _flow(state, who).scan(number, data, "restock")


@router.post("/{number}/scrap")
async def scrap(number: str, data: ReturnScanIn, state: StateDep, who: PrincipalDep) -> ScanResult:
    """Returns location -> the warehouse's scrap location."""
    return await _flow(state, who).scan(number, data, "scrap")


@router.post("/{number}/close")
async def close(number: str, state: StateDep, who: PrincipalDep) -> ReturnPublic:
    return await _flow(state, who).close(number)
