"""Count sessions, count scans, ABC plans and tasks: the API's shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from server.kit.quantity import Qty
from server.models import AbcClass


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


class CountCreate(BaseModel):
    """What to count. Give at most one of ``locations``, ``zone``; narrow to products with
    ``products``, ``abc_class`` or ``tasks`` (the open count tasks of the warehouse).
    Nothing but the warehouse: every active location (a wall-to-wall count)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    warehouse: str = Field(min_length=1, max_length=32)
    locations: list[str] = Field(default_factory=list, max_length=5000)
    zone: str | None = Field(default=None, min_length=1, max_length=32)
    products: list[str] = Field(default_factory=list, max_length=500)
    abc_class: AbcClass | None = None
    tasks: bool = False
    blind: bool = True
    threshold_qty: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)
    threshold_value: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)


class CountScanIn(BaseModel):
    """One counting scan at a location the caller has started: each scan adds ``qty``
    (default 1, or the GS1 label's quantity); ``replace`` sets the counted quantity instead
    (a correction, or 0 for a product that is not there)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    location: str = Field(min_length=1, max_length=128)
    code: str = Field(min_length=1, max_length=512)
    qty: Annotated[Decimal | None, BeforeValidator(_number), Field(allow_inf_nan=False)] = None
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    replace: bool = False


class LocationsIn(BaseModel):
    """Locations of a session to act on; empty: every location waiting for a decision."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    locations: list[str] = Field(default_factory=list, max_length=5000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skip_uncounted: bool = False


class CountLinePublic(BaseModel):
    """Book, expected and variance are ``null`` for a counter in a blind count."""

    sku: str
    lot: str | None
    status: str
    counted: Qty
    book: Qty | None = None
    expected: Qty | None = None
    variance: Qty | None = None
    variance_value: Qty | None = None
    moved_during_count: bool | None = None
    seq: int | None = None
    error: str | None = None


class CountLocationPublic(BaseModel):
    location: str
    status: str
    round: int
    counter: str | None
    started_at: datetime | None
    finished_at: datetime | None
    lines: list[CountLinePublic]


class Accuracy(BaseModel):
    """Inventory accuracy: lines counted with no variance ÷ lines counted."""

    lines: int
    ok: int
    accuracy: float | None


class CountPublic(BaseModel):
    number: str
    warehouse: str
    status: str
    blind: bool
    scope: str
    threshold_qty: Qty | None
    threshold_value: Qty | None
    created_at: datetime
    closed_at: datetime | None
    done_at: datetime | None
    accuracy: Accuracy | None
    locations: list[CountLocationPublic]


class CountSummary(BaseModel):
    number: str
    warehouse: str
    status: str
    blind: bool
    scope: str
    created_at: datetime
    closed_at: datetime | None


class CountScanResult(BaseModel):
    event_id: str
    status: Literal["counted", "duplicate"]
    location: str
    sku: str
    lot: str | None
    counted: Qty
    book: Qty | None = None  # only when the count is not blind (or for a supervisor)


class SessionAccuracy(Accuracy):
    number: str
    closed_at: datetime | None


class PeriodAccuracy(Accuracy):
    month: str  # YYYY-MM of the sessions' closing


class AccuracyReport(Accuracy):
    sessions: list[SessionAccuracy]
    by_month: list[PeriodAccuracy]


class CountPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intervals: dict[AbcClass, int] = Field(
        description="Days between counts per class, e.g. {A: 30, B: 90, C: 365}."
    )


class CountPlanPublic(BaseModel):
    warehouse: str
    intervals: dict[str, int]


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = None  # default: today


class CountTaskPublic(BaseModel):
    warehouse: str
    sku: str
    abc_class: str
    due_date: date
    status: str
    session: str | None
    last_counted: date | None = None
