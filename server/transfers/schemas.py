"""Inter-warehouse transfers: the API's shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.kit.quantity import Qty


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


class TransferLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    qty: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=15, decimal_places=3)
    lot: str | None = Field(default=None, min_length=1, max_length=64)


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    from_warehouse: str = Field(min_length=1, max_length=32)
    to_warehouse: str = Field(min_length=1, max_length=32)
    lines: list[TransferLineIn] = Field(default_factory=list, max_length=1000)  # the plan
    note: str | None = Field(default=None, max_length=500)


class TransferScanIn(BaseModel):
    """A shipping scan (at the source) or a receiving scan (at the destination)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    code: str = Field(min_length=1, max_length=512)
    location: str = Field(min_length=1, max_length=128)
    qty: Annotated[Decimal | None, BeforeValidator(_number), Field(allow_inf_nan=False)] = None
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    scanned_at: datetime | None = None


class TransferLinePublic(BaseModel):
    sku: str
    lot: str | None
    planned: Qty | None
    shipped: Qty
    received: Qty
    short: Qty  # written off at completion (received less than shipped)


class TransferPublic(BaseModel):
    number: str
    from_warehouse: str
    to_warehouse: str
    status: str
    note: str | None
    discrepancy: bool
    created_at: datetime
    dispatched_at: datetime | None
    completed_at: datetime | None
    lines: list[TransferLinePublic]
