"""Cycle counts: sessions, counting scans, close / recount / approve, accuracy, ABC plans."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from server.counts.repository import CountsRepository
from server.counts.schemas import (
    AccuracyReport,
    CloseIn,
    CountCreate,
    CountLocationPublic,
    CountPlanIn,
    CountPlanPublic,
    CountPublic,
    CountScanIn,
    CountScanResult,
    CountSummary,
    CountTaskPublic,
    GenerateIn,
    LocationsIn,
)
from server.counts.service import CountPostings, CountService
from server.deps import (
    PrincipalDep,
    SessionDep,
    SnapshotWriteSessionDep,
    StateDep,
    WriteSessionDep,
)

router = APIRouter(prefix="/api", tags=["counts"])


def _service(session: object, who: PrincipalDep, state: StateDep) -> CountService:
    return CountService(CountsRepository(session), who, state.settings)  # type: ignore[arg-type]


@router.post("/counts", status_code=201)
async def create_count(
    data: CountCreate, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountPublic:
    """Start a count session (supervisors). Blind by default."""
    return await _service(session, who, state).create(data)


@router.get("/counts")
async def list_counts(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    warehouse: str | None = None,
    status: str | None = None,
) -> list[CountSummary]:
    return await _service(session, who, state).sessions(warehouse, status)


@router.get("/counts/accuracy")
async def count_accuracy(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    warehouse: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> AccuracyReport:
    """Inventory accuracy (lines with no variance ÷ lines counted): overall, per session
    and per month of closing."""
    return await _service(session, who, state).accuracy(warehouse, since, until)


@router.get("/counts/{number}")
async def get_count(
    number: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> CountPublic:
    """A session with its locations and lines; a counter in a blind count sees no book."""
    return await _service(session, who, state).get(number)


@router.post("/counts/{number}/locations/{location}/start")
async def start_location(
    number: str,
    location: str,
    session: SnapshotWriteSessionDep,
    who: PrincipalDep,
    state: StateDep,
) -> CountLocationPublic:
    """Claim a location (one counter at a time) and snapshot its book."""
    return await _service(session, who, state).start(number, location)


@router.post("/counts/{number}/scans")
async def count_scan(
    number: str, data: CountScanIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountScanResult:
    return await _service(session, who, state).scan(number, data)


@router.post("/counts/{number}/locations/{location}/finish")
async def finish_location(
    number: str, location: str, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountLocationPublic:
    return await _service(session, who, state).finish(number, location)


@router.post("/counts/{number}/locations/{location}/release")
async def release_location(
    number: str, location: str, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountLocationPublic:
    """Give a claimed location back unfinished; what was counted there is discarded."""
    return await _service(session, who, state).release(number, location)


@router.post("/counts/{number}/close")
async def close_count(
    number: str, state: StateDep, who: PrincipalDep, data: CloseIn | None = None
) -> CountPublic:
    """Compute variances; post those within the threshold; the rest wait in review."""
    flow = CountPostings(state.db, state.writer, who, state.settings)
    return await flow.close(number, (data or CloseIn()).skip_uncounted)


@router.post("/counts/{number}/recount")
async def recount(
    number: str, data: LocationsIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountPublic:
    return await _service(session, who, state).recount(number, data.locations)


@router.post("/counts/{number}/approve")
async def approve(
    number: str, data: LocationsIn, state: StateDep, who: PrincipalDep
) -> CountPublic:
    """Accept the variances of locations in review and post them."""
    return await CountPostings(state.db, state.writer, who, state.settings).approve(
        number, data.locations
    )


@router.post("/counts/{number}/post")
async def repost(number: str, state: StateDep, who: PrincipalDep) -> CountPublic:
    """Post what is queued (after an interruption); answered ``duplicate`` if posted."""
    return await CountPostings(state.db, state.writer, who, state.settings).post(number)


@router.post("/counts/{number}/cancel")
async def cancel(
    number: str, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> CountPublic:
    return await _service(session, who, state).cancel(number)


@router.get("/count-plans/{warehouse}")
async def get_plan(
    warehouse: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> CountPlanPublic:
    return await _service(session, who, state).plan(warehouse)


@router.put("/count-plans/{warehouse}")
async def put_plan(
    warehouse: str,
    data: CountPlanIn,
    session: WriteSessionDep,
    who: PrincipalDep,
    state: StateDep,
) -> CountPlanPublic:
    return await _service(session, who, state).set_plan(warehouse, data)


@router.post("/count-plans/{warehouse}/generate")
async def generate_tasks(
    warehouse: str,
    session: WriteSessionDep,
    who: PrincipalDep,
    state: StateDep,
    data: GenerateIn | None = None,
) -> list[CountTaskPublic]:
    """Create the count tasks due by ``as_of`` (default today); returns the new ones."""
    return await _service(session, who, state).generate(warehouse, (data or GenerateIn()).as_of)


@router.get("/count-tasks")
async def list_tasks(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    warehouse: str | None = None,
    status: str | None = "open",
) -> list[CountTaskPublic]:
    return await _service(session, who, state).tasks(warehouse, status)
