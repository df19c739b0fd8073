"""Returns (RMA): the API's shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from server.kit.quantity import Qty
from server.models import ReturnReason


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=15, decimal_places=3)
    reason: ReturnReason


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    order: str = Field(min_length=1, max_length=32)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500)

    @field_validator("lines")
    @classmethod
    def _distinct(cls, value: list[ReturnLineIn]) -> list[ReturnLineIn]:
        skus = [ln.sku for ln in value]
        if len(set(skus)) != len(skus):
            raise ValueError("each product once per return")
        return value


class ReturnScanIn(BaseModel):
    """A returned item scanned: received (customer -> returns location), restocked (returns
    -> ``location``, a shelf) or scrapped (returns -> the warehouse's scrap location)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    code: str = Field(min_length=1, max_length=512)
    qty: Annotated[Decimal | None, BeforeValidator(_number), Field(allow_inf_nan=False)] = None
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    location: str | None = Field(default=None, min_length=1, max_length=128)
    scanned_at: datetime | None = None


class ReturnLinePublic(BaseModel):
    sku: str
    reason: str
    qty: Qty
    unit_price: Qty
    received: Qty
    restocked: Qty
    scrapped: Qty
    waiting: Qty  # at the returns location, not restocked nor scrapped yet


class ReturnPublic(BaseModel):
    number: str
    order: str
    customer: str
    warehouse: str
    status: str
    note: str | None
    returns_location: str
    credit_amount: Qty
    created_at: datetime
    closed_at: datetime | None
    lines: list[ReturnLinePublic]


class ReasonStat(BaseModel):
    reason: str
    sku: str
    returns: int
    qty: Qty  # authorised
    received: Qty
