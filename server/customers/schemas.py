"""Customers: the API's shapes (contacts, addresses, notes, payments, credit, history)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.kit.contact import ContactIn as ContactIn  # re-exported: the API names them here
from server.kit.contact import ContactPublic as ContactPublic
from server.kit.quantity import Qty

CODE = r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$"


def _money(*, gt: bool = False) -> Any:
    if gt:
        return Field(gt=0, allow_inf_nan=False, max_digits=15, decimal_places=3)
    return Field(default=None, ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3)


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    label: str = Field(default="main", min_length=1, max_length=50)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    is_default: bool = False


class AddressPublic(AddressIn):
    id: int


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    tax_id: str | None = Field(default=None, max_length=50)
    price_level: str | None = Field(default=None, min_length=1, max_length=20)
    credit_limit: Decimal | None = _money()  # None: no limit
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=50)


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    tax_id: str | None = Field(default=None, max_length=50)
    price_level: str | None = Field(default=None, max_length=20)
    credit_limit: Decimal | None = _money()  # null removes the limit
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    active: bool | None = None

    _no_nulls = field_validator("name", "payment_terms_days", "active")(_not_null)


class CreditPublic(BaseModel):
    """Receivables = invoiced (shipped orders) - payments - return credits; the credit check
    is receivables + an order (or a shipment) against the limit, so available = limit -
    receivables. Exposure adds the open orders (accepted, not shipped), for information."""

    credit_limit: Qty | None
    invoiced: Qty
    paid: Qty
    credited: Qty
    receivables: Qty
    open_orders: Qty
    exposure: Qty
    available: Qty | None
    over_limit: bool


class CustomerPublic(BaseModel):
    code: str
    name: str
    email: str | None
    phone: str | None
    tax_id: str | None
    price_level: str | None
    credit_limit: Qty | None
    payment_terms_days: int
    active: bool
    created_at: datetime
    contacts: list[ContactPublic]
    addresses: list[AddressPublic]
    credit: CreditPublic


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["note", "feedback"] = "note"
    text: str = Field(min_length=1, max_length=5000)


class NotePublic(BaseModel):
    id: int
    kind: str
    text: str
    author: str | None
    created_at: datetime


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    amount: Decimal = _money(gt=True)
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)
    received_at: datetime | None = None


class PaymentPublic(BaseModel):
    id: int
    amount: Qty
    reference: str | None
    note: str | None
    received_at: datetime
    recorded_by: str | None


class PurchaseLine(BaseModel):
    sku: str
    name: str
    qty: Qty
    unit_price: Qty
    amount: Qty
    shipped: Qty
    returned: Qty


class PurchaseOrder(BaseModel):
    number: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    total: Qty
    invoiced: Qty
    lines: list[PurchaseLine]


class ProductBought(BaseModel):
    sku: str
    name: str
    orders: int
    qty: Qty
    amount: Qty


class PurchaseSummary(BaseModel):
    """Accepted orders (not drafts, not cancelled): how many, how much, how often."""

    orders: int
    total_ordered: Qty
    total_invoiced: Qty
    first_order_at: datetime | None
    last_order_at: datetime | None
    avg_days_between_orders: float | None
    orders_per_month: float | None


class HistoryEntry(BaseModel):
    """One thing that happened with a customer, newest first in ``GET …/history``."""

    at: datetime
    kind: str  # order | order_status | payment | return | note | credit_release
    reference: str | None
    text: str
    amount: Qty | None = None


class CustomerHistory(BaseModel):
    summary: PurchaseSummary
    orders: list[PurchaseOrder]  # newest first
    products: list[ProductBought]  # most bought (by amount) first
    timeline: list[HistoryEntry]  # everything that happened, newest first
