"""``GET /api/alerts`` (open ones, or all with ``include_cleared``) and a re-evaluation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from server.alerts.repository import AlertsRepository
from server.alerts.schemas import AlertPublic, EvaluateResult
from server.alerts.service import AlertService
from server.deps import PrincipalDep, SessionDep, StateDep

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get("")
async def list_alerts(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    kind: str | None = None,
    include_cleared: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> list[AlertPublic]:
    """Newest first. Live: ``WS /ws/stock`` sends ``{"type": "alert", "event": ...}``."""
    return await AlertService(AlertsRepository(session), who).listing(
        warehouse, kind, include_cleared, limit
    )


@router.post("/evaluate")
async def evaluate_alerts(
    session: SessionDep, who: PrincipalDep, state: StateDep
) -> EvaluateResult:
    """Re-judge every stock alert now (they are also re-judged after each batch and every
    ``JXC_ALERT_SWEEP_SECONDS``): after changing safety or maximum stock, say."""
    AlertService(AlertsRepository(session), who).check_evaluate()
    return await state.alerts.sweep()
