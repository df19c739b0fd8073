"""Receiving by scan: receipt sessions at a dock, quality checks and putaway."""

from __future__ import annotations

from fastapi import APIRouter

from server.auth.principal import Principal
from server.deps import AppState, PrincipalDep, SessionDep, StateDep
from server.receiving.repository import ReceivingRepository
from server.receiving.schemas import (
    PutawayIn,
    PutawayResult,
    QcIn,
    ReceiptOpen,
    ReceiptPublic,
    ReceiptScanIn,
    ReceiptScanResult,
    Suggestion,
)
from server.receiving.service import ReceivingFlow, ReceivingService

router = APIRouter(prefix="/api/receipts", tags=["receiving"])


def _flow(state: AppState, who: Principal) -> ReceivingFlow:
    return ReceivingFlow(state.db, state.writer, state.hub.publish_events, who, state.settings)


@router.post("", status_code=201)
async def open_receipt(data: ReceiptOpen, state: StateDep, who: PrincipalDep) -> ReceiptPublic:
    """Open a receipt at a dock: scan the PO's barcode or an ASN pallet's SSCC (``code``),
    give the PO's number (``po``), or neither for goods without a PO."""
    return await _flow(state, who).open(data)


@router.get("")
async def list_receipts(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    status: str | None = None,
    po: str | None = None,
) -> list[ReceiptPublic]:
    service = ReceivingService(ReceivingRepository(session), who, state.settings)
    return await service.listing(status, po)


@router.get("/{number}")
async def get_receipt(
    number: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> ReceiptPublic:
    """Expected against received per PO line, and what was received per product and lot."""
    return await ReceivingService(ReceivingRepository(session), who, state.settings).get(number)


@router.post("/{number}/scans")
async def receive_scan(
    number: str, data: ReceiptScanIn, state: StateDep, who: PrincipalDep
) -> ReceiptScanResult:
    """One item (or a GS1 label's quantity): supplier -> the receipt's dock, in the ledger."""
    return await _flow(state, who).scan(number, data)


@router.post("/{number}/close")
async def close_receipt(number: str, state: StateDep, who: PrincipalDep) -> ReceiptPublic:
    """Receiving is over: short lines are listed, the PO's status follows the ledger."""
    return await _flow(state, who).close(number)


@router.post("/{number}/qc")
async def quality_check(
    number: str, data: QcIn, state: StateDep, who: PrincipalDep
) -> ReceiptPublic:
    """Accepted and rejected per line; the rejected quantity goes to quarantine."""
    return await _flow(state, who).qc(number, data)


@router.get("/{number}/putaway")
async def putaway_suggestions(
    number: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> list[Suggestion]:
    service = ReceivingService(ReceivingRepository(session), who, state.settings)
    return await service.suggestions(number)


@router.post("/{number}/putaway")
async def putaway(
    number: str, data: PutawayIn, state: StateDep, who: PrincipalDep
) -> PutawayResult:
    """Confirmed by scanning the bin: dock -> bin."""
    return await _flow(state, who).putaway(number, data)
