"""Sales orders: create, confirm (credit check + reservation), release a credit hold,
cancel, ship, deliver; history, delivery note, on-time delivery; availability."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from server.deps import DocumentReaderDep, PrincipalDep, SessionDep, StateDep, WriteSessionDep
from server.sales.documents import delivery_note_html
from server.sales.repository import SalesRepository
from server.sales.schemas import (
    AvailabilityRow,
    CancelIn,
    DeliverIn,
    OnTimePublic,
    PackIn,
    ReasonIn,
    SalesOrderCreate,
    SalesOrderPublic,
    SalesOrderUpdate,
    ShipIn,
    StatusEventPublic,
)
from server.sales.service import SalesFlow, SalesService

router = APIRouter(prefix="/api/sales-orders", tags=["sales orders"])
availability_router = APIRouter(prefix="/api", tags=["sales orders"])


def _flow(state: StateDep, who: PrincipalDep) -> SalesFlow:
    return SalesFlow(
        state.db,
        state.writer,
        state.hub,
        who,
        state.alerts,
        backorder_default=state.settings.sales_backorder,
    )


@router.post("", status_code=201)
async def create_order(
    data: SalesOrderCreate, state: StateDep, who: PrincipalDep
) -> SalesOrderPublic:
    return await _flow(state, who).create(data)


@router.get("")
async def list_orders(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    status: str | None = None,
    customer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[SalesOrderPublic]:
    return await SalesService(SalesRepository(session), who).listing(
        warehouse, status, customer, limit, offset
    )


@router.get("/on-time")
async def on_time_delivery(
    session: SessionDep,
    who: PrincipalDep,
    warehouse: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    basis: Literal["delivered", "shipped"] = "delivered",
) -> OnTimePublic:
    """按时交付率: orders with a promised date delivered (or shipped) in [since, until)."""
    return await SalesService(SalesRepository(session), who).on_time_rate(
        warehouse, since, until, basis
    )


@router.get("/{number}")
async def get_order(number: str, session: SessionDep, who: PrincipalDep) -> SalesOrderPublic:
    return await SalesService(SalesRepository(session), who).get(number)


@router.patch("/{number}")
async def update_order(
    number: str, data: SalesOrderUpdate, session: WriteSessionDep, who: PrincipalDep
) -> SalesOrderPublic:
    return await SalesService(SalesRepository(session), who).update(number, data)


@router.get("/{number}/history")
async def order_history(
    number: str, session: SessionDep, who: PrincipalDep
) -> list[StatusEventPublic]:
    return await SalesService(SalesRepository(session), who).history(number)


@router.post("/{number}/confirm")
async def confirm(number: str, state: StateDep, who: PrincipalDep) -> SalesOrderPublic:
    """Credit check, then reserve every line (or none: ``409 insufficient_available``).
    Over the credit limit the order goes to ``credit_hold`` instead."""
    return await _flow(state, who).confirm(number)


@router.post("/{number}/reserve")
async def reserve(number: str, state: StateDep, who: PrincipalDep) -> SalesOrderPublic:
    """Reserve what was back-ordered, as far as stock now allows."""
    return await _flow(state, who).reserve(number)


@router.post("/{number}/pack")
async def pack(number: str, data: PackIn, state: StateDep, who: PrincipalDep) -> SalesOrderPublic:
    """Everything picked: record the packages (each optionally with its SSCC)."""
    return await _flow(state, who).pack(number, data)


@router.post("/{number}/release-credit")
async def release_credit(
    number: str, data: ReasonIn, state: StateDep, who: PrincipalDep
) -> SalesOrderPublic:
    """A supervisor releases a credit hold (audited with the reason), and it is reserved."""
    return await _flow(state, who).release_credit(number, data.reason)


@router.post("/{number}/cancel")
async def cancel(
    number: str, state: StateDep, who: PrincipalDep, data: CancelIn | None = None
) -> SalesOrderPublic:
    return await _flow(state, who).cancel(number, data or CancelIn())


@router.post("/{number}/ship")
async def ship(
    number: str, state: StateDep, who: PrincipalDep, data: ShipIn | None = None
) -> SalesOrderPublic:
    """Staging -> customer through the ledger; the order is invoiced."""
    return await _flow(state, who).ship(number, data or ShipIn())


@router.post("/{number}/deliver")
async def deliver(
    number: str, data: DeliverIn, state: StateDep, who: PrincipalDep
) -> SalesOrderPublic:
    return await _flow(state, who).deliver(number, data)


@router.get("/{number}/delivery-note", response_class=HTMLResponse)
async def delivery_note(number: str, session: SessionDep, who: DocumentReaderDep) -> HTMLResponse:
    """A print-ready delivery note (HTML, the order number as a Code 128 barcode; a browser
    tab may pass ``?token=``)."""
    service = SalesService(SalesRepository(session), who)
    return HTMLResponse(await delivery_note_html(service, number))


@availability_router.get("/availability")
async def availability(
    session: SessionDep, who: PrincipalDep, warehouse: str | None = None, sku: str | None = None
) -> list[AvailabilityRow]:
    """Available to promise per warehouse and product: sellable on hand - reserved."""
    return await SalesService(SalesRepository(session), who).availability(warehouse, sku)
