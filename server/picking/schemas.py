"""Pick lists: the API's shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from server.kit.quantity import Qty
from server.scans.schemas import ScanResult


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


class PickListCreate(BaseModel):
    """One order, or several picked together (a wave), all from one warehouse."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    orders: list[str] = Field(min_length=1, max_length=100)
    staging: str | None = Field(default=None, min_length=1, max_length=128)  # default: first
    assigned_to: str | None = Field(default=None, min_length=1, max_length=64)  # a username

    @field_validator("orders")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each order once")
        return value


class PickScanIn(BaseModel):
    """The picker at a location scans an item (its GS1 label may carry the lot and the
    quantity); ``qty`` confirms how many were taken (default 1 or the label's)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    location: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=512)
    qty: Annotated[Decimal | None, BeforeValidator(_number), Field(allow_inf_nan=False)] = None
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    scanned_at: datetime | None = None


class ShortIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(default="location empty", min_length=1, max_length=200)


class PickLinePublic(BaseModel):
    id: int
    seq: int
    order: str
    location: str
    sku: str
    name: str
    lot: str | None
    expiry: date | None
    qty: Qty
    picked: Qty
    status: str
    short_reason: str | None
    substitute_for: int | None


class PickListPublic(BaseModel):
    number: str
    warehouse: str
    staging: str
    status: str
    orders: list[str]
    assigned_to: str | None
    created_at: datetime
    picked_at: datetime | None
    lines_total: int
    lines_done: int
    next_location: str | None  # where the walk goes next
    lines: list[PickLinePublic]


class PickScanPublic(BaseModel):
    result: ScanResult
    line: PickLinePublic | None
    pick_list: PickListPublic
