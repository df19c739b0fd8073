"""The scan command and its result: the wire format of ``POST /api/scans`` and ``WS /ws/scans``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from server.kit.quantity import Qty
from server.models import MoveKind


def _number(value: Any) -> Any:
    # JSON true/false must not sneak through as 1/0.
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


def _utc(value: datetime | None) -> datetime | None:
    # Stored and streamed in UTC: SQLite keeps no offset, and every reader compares seqs' times.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ScanIn(BaseModel):
    """One scan: what a scanner read, where, and what it means to do."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: UUID = Field(
        description="Client-generated UUID; replays are answered, not re-applied."
    )
    type: MoveKind | None = Field(
        default=None, description="receive | pick | count | transfer | adjust (a device's default)."
    )
    code: str = Field(min_length=1, max_length=512, description="What the scanner read.")
    qty: Annotated[
        Decimal | None,
        BeforeValidator(_number),
        Field(
            allow_inf_nan=False, description="Default 1, or the GS1 quantity; signed for adjust."
        ),
    ] = None
    location: str | None = Field(default=None, min_length=1, max_length=128)
    to_location: str | None = Field(default=None, min_length=1, max_length=128)
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expiry: date | None = None
    reference: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=200)
    device_id: str | None = Field(default=None, max_length=64)
    scanned_at: Annotated[datetime | None, AfterValidator(_utc)] = Field(
        default=None, description="When the code was read (ISO 8601; naive means UTC)."
    )


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None = Field(
        default=None, description="What the error is about, e.g. an unknown code's decoded content."
    )


class ScanResult(BaseModel):
    event_id: str | None
    status: Literal["applied", "duplicate", "rejected"]
    type: MoveKind | None = None
    seq: int | None = None
    product: str | None = None
    lot: str | None = None
    qty: Qty | None = None
    location: str | None = None
    on_hand: Qty | None = None
    to_location: str | None = None
    to_on_hand: Qty | None = None
    variance: Qty | None = None
    error: ErrorBody | None = None

    @classmethod
    def rejected(
        cls, event_id: str | None, code: str, message: str, details: dict[str, Any] | None = None
    ) -> ScanResult:
        error = ErrorBody(code=code, message=message, details=details or None)
        return cls(event_id=event_id, status="rejected", error=error)
