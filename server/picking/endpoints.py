"""Pick lists: generate (one order or a wave), pick by scan, report short picks, print."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from server.deps import DocumentReaderDep, PrincipalDep, SessionDep, StateDep
from server.picking.documents import pick_list_html
from server.picking.repository import PickingRepository
from server.picking.schemas import (
    PickListCreate,
    PickListPublic,
    PickScanIn,
    PickScanPublic,
    ShortIn,
)
from server.picking.service import PickingFlow, PickingService

router = APIRouter(prefix="/api/pick-lists", tags=["pick lists"])


def _flow(state: StateDep, who: PrincipalDep) -> PickingFlow:
    return PickingFlow(state.db, state.writer, state.hub, who, state.alerts)


@router.post("", status_code=201)
async def create_pick_list(
    data: PickListCreate, state: StateDep, who: PrincipalDep
) -> PickListPublic:
    """Allocate the orders' reservations FEFO/FIFO, in walking order."""
    return await _flow(state, who).create(data)


@router.get("")
async def list_pick_lists(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    status: str | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PickListPublic]:
    return await PickingService(PickingRepository(session), who).listing(
        warehouse, status, mine, limit
    )


@router.get("/{number}")
async def get_pick_list(number: str, session: SessionDep, who: PrincipalDep) -> PickListPublic:
    return await PickingService(PickingRepository(session), who).get(number)


@router.post("/{number}/claim")
async def claim(number: str, state: StateDep, who: PrincipalDep) -> PickListPublic:
    """A picker takes the list (one picker per list; ``409 pick_list_claimed`` if taken)."""
    return await _flow(state, who).claim(number)


@router.post("/{number}/release")
async def release(number: str, state: StateDep, who: PrincipalDep) -> PickListPublic:
    """Give the list back (its picker, or a supervisor)."""
    return await _flow(state, who).claim(number, give_back=True)


@router.post("/{number}/scans")
async def pick_scan(
    number: str, data: PickScanIn, state: StateDep, who: PrincipalDep
) -> PickScanPublic:
    """One pick: location + item (+ lot, qty). Wrong location, item, lot or over-pick: 4xx
    at once, nothing written."""
    return await _flow(state, who).scan(number, data)


@router.post("/{number}/lines/{line_id}/short")
async def short_pick(
    number: str, line_id: int, state: StateDep, who: PrincipalDep, data: ShortIn | None = None
) -> PickListPublic:
    """The location did not have it: the line closes, the rest is allocated elsewhere."""
    return await _flow(state, who).short(number, line_id, data or ShortIn())


@router.get("/{number}/print", response_class=HTMLResponse)
async def print_pick_list(number: str, session: SessionDep, who: DocumentReaderDep) -> HTMLResponse:
    """The pick list on paper: its barcode, then the lines in walking order (a browser tab
    may pass ``?token=``)."""
    service = PickingService(PickingRepository(session), who)
    return HTMLResponse(await pick_list_html(service, number))
