"""Customers: records, contacts, addresses, notes, payments, credit and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.principal import Principal
from server.customers.repository import CustomersRepository
from server.customers.schemas import (
    AddressIn,
    ContactIn,
    CreditPublic,
    CustomerCreate,
    CustomerHistory,
    CustomerPublic,
    CustomerUpdate,
    NoteIn,
    NotePublic,
    PaymentIn,
    PaymentPublic,
)
from server.customers.service import CustomerService
from server.deps import PrincipalDep, SessionDep, WriteSessionDep

router = APIRouter(prefix="/api/customers", tags=["customers"])


def _service(session: AsyncSession, who: Principal) -> CustomerService:
    return CustomerService(CustomersRepository(session), who)


@router.post("", status_code=201)
async def create_customer(
    data: CustomerCreate, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).create(data)


@router.get("")
async def list_customers(
    session: SessionDep,
    who: PrincipalDep,
    q: str | None = None,
    include_inactive: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CustomerPublic]:
    return await _service(session, who).listing(q, include_inactive, limit, offset)


@router.get("/{code}")
async def get_customer(code: str, session: SessionDep, who: PrincipalDep) -> CustomerPublic:
    service = _service(session, who)
    return await service.public(await service.get(code))


@router.patch("/{code}")
async def update_customer(
    code: str, data: CustomerUpdate, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).update(code, data)


@router.post("/{code}/contacts", status_code=201)
async def add_contact(
    code: str, data: ContactIn, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).add_contact(code, data)


@router.delete("/{code}/contacts/{contact_id}")
async def remove_contact(
    code: str, contact_id: int, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).remove_contact(code, contact_id)


@router.post("/{code}/addresses", status_code=201)
async def add_address(
    code: str, data: AddressIn, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).add_address(code, data)


@router.delete("/{code}/addresses/{address_id}")
async def remove_address(
    code: str, address_id: int, session: WriteSessionDep, who: PrincipalDep
) -> CustomerPublic:
    return await _service(session, who).remove_address(code, address_id)


@router.post("/{code}/notes", status_code=201)
async def add_note(
    code: str, data: NoteIn, session: WriteSessionDep, who: PrincipalDep
) -> NotePublic:
    return await _service(session, who).add_note(code, data)


@router.get("/{code}/notes")
async def list_notes(code: str, session: SessionDep, who: PrincipalDep) -> list[NotePublic]:
    return await _service(session, who).notes(code)


@router.post("/{code}/payments", status_code=201)
async def record_payment(
    code: str, data: PaymentIn, session: WriteSessionDep, who: PrincipalDep
) -> PaymentPublic:
    """Money received: lowers the customer's receivables (and so their credit exposure)."""
    return await _service(session, who).record_payment(code, data)


@router.get("/{code}/payments")
async def list_payments(code: str, session: SessionDep, who: PrincipalDep) -> list[PaymentPublic]:
    return await _service(session, who).payments(code)


@router.get("/{code}/credit")
async def get_credit(code: str, session: SessionDep, who: PrincipalDep) -> CreditPublic:
    return await _service(session, who).credit_of(code)


@router.get("/{code}/history")
async def get_history(
    code: str,
    session: SessionDep,
    who: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> CustomerHistory:
    """Purchase history (orders, lines, amounts, last order, frequency, products bought)
    and a timeline: status changes, payments, returns, credit releases, notes."""
    return await _service(session, who).history(code, limit)
