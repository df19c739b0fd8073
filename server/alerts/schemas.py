"""Alerts: the API's and the stream's shape."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from server.kit.quantity import Qty


class AlertPublic(BaseModel):
    id: int
    kind: str
    severity: str
    warehouse: str | None
    sku: str | None
    lot: str | None
    subject: str | None
    message: str
    value: Qty | None
    threshold: Qty | None
    raised_at: datetime
    cleared_at: datetime | None


class EvaluateResult(BaseModel):
    raised: int
    cleared: int
