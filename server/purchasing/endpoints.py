"""Purchase orders (draft, confirm, cancel, close, the printable PO with its barcode, the
ASN's pallets) and monthly purchasing budgets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from server.deps import DocumentReaderDep, PrincipalDep, SessionDep, StateDep, WriteSessionDep
from server.purchasing.repository import PurchasingRepository
from server.purchasing.schemas import (
    MONTH,
    BudgetIn,
    BudgetPublic,
    ConfirmIn,
    POCreate,
    POPublic,
    POUpdate,
    SsccIn,
)
from server.purchasing.service import PurchasingFlow, PurchasingService

router = APIRouter(prefix="/api", tags=["purchasing"])


def _flow(state: StateDep, who: PrincipalDep) -> PurchasingFlow:
    return PurchasingFlow(state.db, state.hub.publish_events, who, state.settings)


@router.post("/purchase-orders", status_code=201)
async def create_po(data: POCreate, state: StateDep, who: PrincipalDep) -> POPublic:
    """A draft; a line without ``unit_price`` takes the supplier's price list."""
    return await _flow(state, who).create(data)


@router.get("/purchase-orders")
async def list_pos(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    warehouse: str | None = None,
    supplier: str | None = None,
    status: str | None = None,
) -> list[POPublic]:
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return await service.listing(warehouse, supplier, status)


@router.get("/purchase-orders/{number}")
async def get_po(number: str, session: SessionDep, who: PrincipalDep, state: StateDep) -> POPublic:
    return await PurchasingService(PurchasingRepository(session), who, state.settings).get(number)


@router.patch("/purchase-orders/{number}")
async def update_po(
    number: str, data: POUpdate, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> POPublic:
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return await service.update(number, data)


@router.post("/purchase-orders/{number}/confirm")
async def confirm_po(
    number: str, state: StateDep, who: PrincipalDep, data: ConfirmIn | None = None
) -> POPublic:
    """Budget warnings come back in ``warnings``; an expired supplier qualification needs a
    supervisor's ``override_reason``."""
    return await _flow(state, who).confirm(number, data or ConfirmIn())


@router.post("/purchase-orders/{number}/cancel")
async def cancel_po(number: str, state: StateDep, who: PrincipalDep) -> POPublic:
    return await _flow(state, who).cancel(number)


@router.post("/purchase-orders/{number}/close")
async def close_po(number: str, state: StateDep, who: PrincipalDep) -> POPublic:
    """Done as it is: what is still missing will not come."""
    return await _flow(state, who).close(number)


@router.post("/purchase-orders/{number}/ssccs")
async def add_ssccs(
    number: str, data: SsccIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> POPublic:
    """The ASN: pallets (SSCC) the PO arrives on; scanning one opens a receipt against it."""
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return await service.add_ssccs(number, data)


@router.get("/purchase-orders/{number}/print", response_class=HTMLResponse)
async def print_po(
    number: str, session: SessionDep, state: StateDep, who: DocumentReaderDep
) -> HTMLResponse:
    """Print-ready HTML (A4) with the PO number as a Code128 barcode (inline SVG); a browser
    tab may pass ``?token=``."""
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return HTMLResponse(await service.print_html(number))


@router.put("/budgets")
async def set_budget(
    data: BudgetIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> BudgetPublic:
    """A warehouse's purchasing budget for a month (``category``: for that category only)."""
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return await service.set_budget(data)


@router.get("/budgets")
async def list_budgets(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    warehouse: str | None = None,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
) -> list[BudgetPublic]:
    service = PurchasingService(PurchasingRepository(session), who, state.settings)
    return await service.budgets(warehouse, month)
