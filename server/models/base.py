"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime
from sqlmodel import Field

from server.kit.quantity import QuantityType


def utcnow() -> datetime:
    return datetime.now(UTC)


def qty_field(default: Decimal | None = None, **kw: Any) -> Any:
    return Field(default=default, sa_type=QuantityType, **kw)


def ts_field(nullable: bool = False, **kw: Any) -> Any:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), **kw)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kw)
