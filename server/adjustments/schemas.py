"""Reason-coded stock adjustments: the API's shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from server.kit.quantity import Qty
from server.models import AdjustmentReason


class AdjustmentCreate(BaseModel):
    """``qty`` is how many: ``found`` adds them, ``damage``/``loss``/``scrap`` remove them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    location: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=512)
    qty: Decimal = Field(gt=0, allow_inf_nan=False, max_digits=15, decimal_places=3)
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    reason: AdjustmentReason
    note: str | None = Field(default=None, max_length=150)


class AdjustmentPublic(BaseModel):
    number: str
    status: str
    warehouse: str
    location: str
    sku: str
    lot: str | None
    qty: Qty
    value: Qty
    reason: str
    note: str | None
    seq: int | None
    requested_by: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
