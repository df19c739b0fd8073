"""Reason-coded adjustments: request (posted at once within the threshold), approve, reject."""

from __future__ import annotations

from fastapi import APIRouter

from server.adjustments.repository import AdjustmentsRepository
from server.adjustments.schemas import AdjustmentCreate, AdjustmentPublic
from server.adjustments.service import AdjustmentFlow, AdjustmentService
from server.deps import PrincipalDep, SessionDep, StateDep, WriteSessionDep

router = APIRouter(prefix="/api/adjustments", tags=["adjustments"])


@router.post("", status_code=201)
async def request_adjustment(
    data: AdjustmentCreate, state: StateDep, who: PrincipalDep
) -> AdjustmentPublic:
    """``posted`` when within the approval threshold, else ``pending``."""
    return await AdjustmentFlow(state.db, state.writer, who, state.settings).request(data)


@router.get("")
async def list_adjustments(
    session: SessionDep, who: PrincipalDep, state: StateDep, status: str | None = None
) -> list[AdjustmentPublic]:
    service = AdjustmentService(AdjustmentsRepository(session), who, state.settings)
    return await service.listing(status)


@router.get("/{number}")
async def get_adjustment(
    number: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> AdjustmentPublic:
    return await AdjustmentService(AdjustmentsRepository(session), who, state.settings).get(number)


@router.post("/{number}/approve")
async def approve_adjustment(number: str, state: StateDep, who: PrincipalDep) -> AdjustmentPublic:
    return await AdjustmentFlow(state.db, state.writer, who, state.settings).approve(number)


@router.post("/{number}/reject")
async def reject_adjustment(
    number: str, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> AdjustmentPublic:
    service = AdjustmentService(AdjustmentsRepository(session), who, state.settings)
    return await service.reject(number)
