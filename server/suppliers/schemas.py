"""Suppliers, their contacts, qualifications and prices; price comparison and scorecards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.kit.contact import ContactIn as ContactIn  # re-exported: the API names them here
from server.kit.contact import ContactPublic as ContactPublic
from server.kit.quantity import Qty

CODE = r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$"
CURRENCY = r"^[A-Z]{3}$"


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


def money(**kw: Any) -> Any:
    return Field(allow_inf_nan=False, max_digits=15, decimal_places=3, **kw)


class QualificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: str = Field(min_length=1, max_length=64)
    number: str | None = Field(default=None, max_length=100)
    issued_on: date | None = None
    expires_on: date
    note: str | None = Field(default=None, max_length=500)


class QualificationPublic(BaseModel):
    id: int
    kind: str
    number: str | None
    issued_on: date | None
    expires_on: date
    note: str | None
    status: str  # "valid" | "expiring" | "expired" | "superseded" (a newer one of its kind)
    days_left: int


class SupplierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(default="CNY", pattern=CURRENCY)
    payment_terms: str | None = Field(default=None, max_length=100)
    lead_time_days: int = Field(default=7, ge=0, le=3650)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)
    qualifications: list[QualificationIn] = Field(default_factory=list, max_length=50)


class SupplierUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    currency: str | None = Field(default=None, pattern=CURRENCY)
    payment_terms: str | None = Field(default=None, max_length=100)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    active: bool | None = None

    _no_nulls = field_validator("name", "currency", "lead_time_days", "active")(_not_null)


class Scorecard(BaseModel):
    """Supplier performance from its receipts (rates are 0..1; None when nothing to rate)."""

    supplier: str
    deliveries: int  # (receipt, PO line) pairs: a product arriving on a receipt against a PO
    on_time_deliveries: int
    on_time_rate: float | None
    ordered: Qty  # on finished POs (received or closed)
    received: Qty  # on those POs, at most the ordered quantity per line
    fill_rate: float | None
    received_total: Qty  # on closed receipts
    rejected: Qty  # by quality checks
    quality_pass_rate: float | None
    lead_time_days: float | None  # average, confirmation -> first scan of a delivery
    purchase_orders: int


class SupplierPublic(BaseModel):
    code: str
    name: str
    currency: str
    payment_terms: str | None
    lead_time_days: int
    email: str | None
    phone: str | None
    address: str | None
    active: bool
    qualified: bool  # no kind of qualification document has expired
    contacts: list[ContactPublic]
    qualifications: list[QualificationPublic]
    scorecard: Scorecard | None = None


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    unit_price: Decimal = money(ge=0)
    min_qty: Decimal = money(default=Decimal(1), gt=0)
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    supplier_sku: str | None = Field(default=None, max_length=64)


class PricePublic(BaseModel):
    supplier: str
    sku: str
    unit_price: Qty
    min_qty: Qty
    lead_time_days: int  # the price's own, else the supplier's
    supplier_sku: str | None
    currency: str


class PriceOffer(BaseModel):
    """What one supplier would charge for ``qty`` of the product."""

    supplier: str
    name: str
    currency: str
    unit_price: Qty  # the best break whose min_qty the quantity reaches
    min_qty: Qty
    total: Qty
    lead_time_days: int
    qualified: bool


class PriceComparison(BaseModel):
    sku: str
    qty: Qty
    by_price: list[PriceOffer]  # cheapest first (then the faster)
    by_lead_time: list[PriceOffer]  # fastest first (then the cheaper)
    not_reached: list[str]  # suppliers with a price whose minimum quantity is above qty


class QualificationCheck(BaseModel):
    """Whether a supplier may be ordered from today; ``expired`` names what blocks it."""

    supplier: str
    qualified: bool
    expired: list[QualificationPublic]
