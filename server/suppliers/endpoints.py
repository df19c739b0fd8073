"""Suppliers: master data, contacts, qualifications, price lists, price comparison and
scorecards."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.deps import AppState, PrincipalDep, SessionDep, StateDep, WriteSessionDep
from server.suppliers.repository import SuppliersRepository
from server.suppliers.schemas import (
    ContactIn,
    PriceComparison,
    PriceIn,
    PricePublic,
    QualificationIn,
    Scorecard,
    SupplierCreate,
    SupplierPublic,
    SupplierUpdate,
)
from server.suppliers.service import QualificationAlerts, SupplierService

router = APIRouter(prefix="/api", tags=["suppliers"])
QtyParam = Annotated[Decimal, Query(allow_inf_nan=False, max_digits=15, decimal_places=3)]


def _service(session: AsyncSession, who: Principal, state: AppState) -> SupplierService:
    return SupplierService(SuppliersRepository(session), who, state.settings)


async def _judge_alerts(state: AppState) -> None:
    """After a qualification changed (and its transaction committed): re-judge the alerts."""
    await QualificationAlerts(state.db, state.hub.publish_events, state.settings).evaluate()


@router.post("/suppliers", status_code=201)
async def create_supplier(
    data: SupplierCreate, state: StateDep, who: PrincipalDep
) -> SupplierPublic:
    async with state.db.session(write=True) as session:
        out = await _service(session, who, state).create(data)
    if data.qualifications:
        await _judge_alerts(state)
    return out


@router.get("/suppliers")
async def list_suppliers(
    session: SessionDep,
    who: PrincipalDep,
    state: StateDep,
    q: str | None = None,
    include_inactive: bool = False,
    scorecard: bool = True,
) -> list[SupplierPublic]:
    """With each supplier's scorecard (``scorecard=false`` leaves it out)."""
    return await _service(session, who, state).listing(q, include_inactive, scorecard)


@router.get("/suppliers/{code}")
async def get_supplier(
    code: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> SupplierPublic:
    service = _service(session, who, state)
    return await service.public(await service.get(code), with_scorecard=True)


@router.patch("/suppliers/{code}")
async def update_supplier(
    code: str, data: SupplierUpdate, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> SupplierPublic:
    return await _service(session, who, state).update(code, data)


@router.post("/suppliers/{code}/contacts", status_code=201)
async def add_contact(
    code: str, data: ContactIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> SupplierPublic:
    return await _service(session, who, state).add_contact(code, data)


@router.delete("/suppliers/{code}/contacts/{contact_id}")
async def remove_contact(
    code: str, contact_id: int, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> SupplierPublic:
    return await _service(session, who, state).remove_contact(code, contact_id)


@router.post("/suppliers/{code}/qualifications", status_code=201)
async def add_qualification(
    code: str, data: QualificationIn, state: StateDep, who: PrincipalDep
) -> SupplierPublic:
    async with state.db.session(write=True) as session:
        out = await _service(session, who, state).add_qualification(code, data)
    await _judge_alerts(state)
    return out


@router.delete("/suppliers/{code}/qualifications/{qid}")
async def remove_qualification(
    code: str, qid: int, state: StateDep, who: PrincipalDep
) -> SupplierPublic:
    async with state.db.session(write=True) as session:
        out = await _service(session, who, state).remove_qualification(code, qid)
    await _judge_alerts(state)
    return out


@router.get("/suppliers/{code}/prices")
async def list_prices(
    code: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> list[PricePublic]:
    return await _service(session, who, state).prices(code)


@router.put("/suppliers/{code}/prices")
async def set_price(
    code: str, data: PriceIn, session: WriteSessionDep, who: PrincipalDep, state: StateDep
) -> PricePublic:
    """Add or change one price break (supplier, product, minimum quantity)."""
    return await _service(session, who, state).set_price(code, data)


@router.delete("/suppliers/{code}/prices/{sku}", status_code=204)
async def remove_price(
    code: str,
    sku: str,
    session: WriteSessionDep,
    who: PrincipalDep,
    state: StateDep,
    min_qty: QtyParam | None = None,
) -> None:
    """One break (``min_qty``) or every break of the product."""
    await _service(session, who, state).remove_price(code, sku, min_qty)


@router.get("/suppliers/{code}/scorecard")
async def get_scorecard(
    code: str, session: SessionDep, who: PrincipalDep, state: StateDep
) -> Scorecard:
    return await _service(session, who, state).scorecard(code)


@router.get("/price-comparison")
async def compare_prices(
    sku: str, session: SessionDep, who: PrincipalDep, state: StateDep, qty: QtyParam = Decimal(1)
) -> PriceComparison:
    """For ``qty`` of a product: suppliers ranked by unit price and by lead time."""
    return await _service(session, who, state).compare(sku, qty)
