"""Sales orders: the API's shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.kit.quantity import Qty


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=15, decimal_places=3)
    unit_price: Decimal = Field(
        default=Decimal(0), ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )


def _distinct_skus(lines: list[OrderLineIn]) -> list[OrderLineIn]:
    skus = [ln.sku for ln in lines]
    if len(set(skus)) != len(skus):
        raise ValueError("each product once per order: add up its quantities on one line")
    return lines


class SalesOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer: str = Field(min_length=1, max_length=32)
    warehouse: str = Field(min_length=1, max_length=32)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    promised_date: date | None = None
    customer_reference: str | None = Field(default=None, max_length=100)
    ship_to: str | None = Field(default=None, max_length=1000)  # default: the customer's
    note: str | None = Field(default=None, max_length=500)
    # What cannot be reserved at confirmation: back-ordered (true) or the confirmation is
    # refused (false). Default: JXC_SALES_BACKORDER.
    backorder: bool | None = None

    _lines = field_validator("lines")(_distinct_skus)


class SalesOrderUpdate(BaseModel):
    """Change a draft (or held) order; ``lines`` replaces them all."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lines: list[OrderLineIn] | None = Field(default=None, min_length=1, max_length=500)
    promised_date: date | None = None
    customer_reference: str | None = Field(default=None, max_length=100)
    ship_to: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=500)

    @field_validator("lines")
    @classmethod
    def _lines(cls, value: list[OrderLineIn] | None) -> list[OrderLineIn] | None:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep the lines")
        return _distinct_skus(value)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=3, max_length=500)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(default=None, max_length=500)


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sscc: str | None = Field(default=None, pattern=r"^\d{18}$")  # GS1 SSCC, check digit valid
    weight_kg: Decimal | None = Field(
        default=None, gt=0, allow_inf_nan=False, max_digits=12, decimal_places=3
    )


class PackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[PackageIn] = Field(min_length=1, max_length=500)


class PackagePublic(BaseModel):
    no: int
    sscc: str | None
    weight_kg: Qty | None


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    signed_by: str = Field(min_length=1, max_length=200)
    delivered_at: datetime | None = None  # default: now


class OrderLinePublic(BaseModel):
    line_no: int
    sku: str
    name: str
    qty: Qty
    unit_price: Qty
    amount: Qty
    allotted: Qty  # reserved in all; the rest is back-ordered
    backordered: Qty
    reserved: Qty  # still promised from the shelves (allotted - picked - short)
    picked: Qty
    short: Qty
    shipped: Qty
    returned: Qty


class CreditCheckPublic(BaseModel):
    stage: str  # confirm | ship
    credit_limit: Qty | None
    exposure: Qty  # receivables + this order
    released_by: str | None = None
    released_at: datetime | None = None
    reason: str | None = None


class SalesOrderPublic(BaseModel):
    number: str
    customer: str
    customer_name: str
    warehouse: str
    status: str
    backorder: bool
    customer_reference: str | None
    ship_to: str | None
    promised_date: date | None
    note: str | None
    total: Qty
    invoiced: Qty
    shipments: int
    carrier: str | None
    tracking_number: str | None
    signed_by: str | None
    created_at: datetime
    confirmed_at: datetime | None
    packed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    on_time: bool | None  # delivered (else shipped) on or before the promised date
    days_late: int | None
    pick_lists: list[str]
    packages: list[PackagePublic]
    credit_releases: list[CreditCheckPublic]
    lines: list[OrderLinePublic]


class StatusEventPublic(BaseModel):
    at: datetime
    from_status: str | None
    to_status: str
    note: str | None
    user: str | None


class AvailabilityRow(BaseModel):
    """Available to promise = sellable on hand (bins, unexpired lots) - open reservations."""

    warehouse: str
    sku: str
    on_hand: Qty
    reserved: Qty
    available: Qty


class OnTimeOrder(BaseModel):
    number: str
    customer: str
    promised_date: date
    measured_at: datetime
    on_time: bool
    days_late: int


class OnTimePublic(BaseModel):
    basis: str  # delivered | shipped
    orders: int
    on_time: int
    late: int
    rate: float | None  # on_time / orders; None when nothing was measured
    details: list[OnTimeOrder]
