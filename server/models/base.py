"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from server.kit.quantity import QuantityType


def utcnow() -> datetime:
    return datetime.now(UTC)


def qty_field(default: Decimal | None = None, **kw: Any) -> Any:
    return Field(default=default, sa_type=QuantityType, **kw)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back *aware* on every database: SQLite keeps no
    offset, so without this the API would show ``…T08:00:00`` there and ``…+00:00`` on
    PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value  # naive means UTC

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def ts_field(nullable: bool = False, **kw: Any) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, **kw)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)
