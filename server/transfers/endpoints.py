"""Inter-warehouse transfers: create, ship by scan, dispatch, receive by scan, complete."""

from __future__ import annotations

from fastapi import APIRouter

from server.deps import PrincipalDep, SessionDep, StateDep, WriteSessionDep
from server.scans.schemas import ScanResult
from server.transfers.repository import TransfersRepository
from server.transfers.schemas import TransferCreate, TransferPublic, TransferScanIn
from server.transfers.service import TransferFlow, TransferService

router = APIRouter(prefix="/api/transfers", tags=["transfers"])


@router.post("", status_code=201)
async def create_transfer(
    data: TransferCreate, session: WriteSessionDep, who: PrincipalDep
) -> TransferPublic:
    return await TransferService(TransfersRepository(session), who).create(data)


@router.get("")
async def list_transfers(
    session: SessionDep, who: PrincipalDep, status: str | None = None
) -> list[TransferPublic]:
    return await TransferService(TransfersRepository(session), who).listing(status)


@router.get("/{number}")
async def get_transfer(number: str, session: SessionDep, who: PrincipalDep) -> TransferPublic:
    return await TransferService(TransfersRepository(session), who).public(number)


@router.post("/{number}/ship")
async def ship(number: str, data: TransferScanIn, state: StateDep, who: PrincipalDep) -> ScanResult:
    """A shipping scan: shelf -> the source warehouse's in-transit location."""
    return await TransferFlow(state.db, state.writer, who).ship(number, data)


@router.post("/{number}/dispatch")
async def dispatch(number: str, session: WriteSessionDep, who: PrincipalDep) -> TransferPublic:
    return await TransferService(TransfersRepository(session), who).dispatch(number)


@router.post("/{number}/receive")
async def receive(
    number: str, data: TransferScanIn, state: StateDep, who: PrincipalDep
) -> ScanResult:
    """A receiving scan at the destination: in transit -> shelf."""
    return await TransferFlow(state.db, state.writer, who).receive(number, data)


@router.post("/{number}/complete")
async def complete(number: str, state: StateDep, who: PrincipalDep) -> TransferPublic:
    """Receiving is over: a shortage is flagged and written off to inventory loss."""
    return await TransferFlow(state.db, state.writer, who).complete(number)
