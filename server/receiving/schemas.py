"""Receiving: receipt sessions, their scans, quality checks and putaway."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from server.kit.quantity import Qty
from server.scans.schemas import ScanResult


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a quantity must be a number")
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


QtyIn = Annotated[Decimal | None, BeforeValidator(_number), Field(allow_inf_nan=False)]


class ReceiptOpen(BaseModel):
    """Open a receipt at a dock: by scanning the PO's barcode or a pallet's SSCC (``code``),
    by the PO's number (``po``), or free (neither; ``supplier`` optional)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    dock: str | None = Field(default=None, min_length=1, max_length=128)  # a device's own
    code: str | None = Field(default=None, min_length=1, max_length=512)
    po: str | None = Field(default=None, min_length=1, max_length=32)
    supplier: str | None = Field(default=None, min_length=1, max_length=32)
    note: str | None = Field(default=None, max_length=500)


class ReceiptScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    code: str = Field(min_length=1, max_length=512)
    qty: QtyIn = None  # default: the GS1 label's quantity (AI 30), else 1
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expiry: date | None = None
    scanned_at: Annotated[datetime | None, AfterValidator(_utc)] = None


class QcIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    accepted: QtyIn = None
    rejected: QtyIn = None
    reason: str | None = Field(default=None, min_length=1, max_length=200)


class PutawayIn(BaseModel):
    """Confirm a putaway by scanning the bin (``location``) and the item (``code``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    event_id: UUID
    code: str = Field(min_length=1, max_length=512)
    location: str = Field(min_length=1, max_length=128)
    qty: QtyIn = None  # default: all of the line still at the dock
    lot: str | None = Field(default=None, min_length=1, max_length=64)


class OrderLineProgress(BaseModel):
    """A PO line, live: expected against received (by every receipt of the PO)."""

    sku: str
    name: str
    ordered: Qty
    received: Qty  # by every receipt of the PO (the ledger)
    received_here: Qty  # by this receipt
    remaining: Qty
    state: str  # "open" | "partial" | "received" | "over"
    over_tolerance: bool  # received beyond ordered x (1 + tolerance)


class ReceiptLinePublic(BaseModel):
    """What this receipt received of one product and lot, and what became of it."""

    sku: str
    lot: str | None
    expiry: date | None
    received: Qty
    flags: list[str]  # "over_receipt", "unexpected", "short_dated"
    qc: str  # "pending" | "done"
    accepted: Qty | None
    rejected: Qty | None
    reject_reason: str | None
    put_away: Qty
    at_dock: Qty  # received - rejected - put away


class ShortLine(BaseModel):
    sku: str
    ordered: Qty
    received: Qty
    short: Qty


class ReceiptPublic(BaseModel):
    number: str
    warehouse: str
    dock: str
    po: str | None
    supplier: str | None
    status: str
    opened_with: str | None
    note: str | None
    opened_at: datetime
    closed_at: datetime | None
    order_lines: list[OrderLineProgress]  # empty for a receipt without a PO
    lines: list[ReceiptLinePublic]
    short: list[ShortLine]  # PO lines still short (after close: what did not come)


class ReceiptScanResult(BaseModel):
    result: ScanResult
    flags: list[str]
    warnings: list[str]
    receipt: ReceiptPublic


class Suggestion(BaseModel):
    sku: str
    lot: str | None
    qty: Qty  # at the dock
    location: str | None  # None: no bin found
    barcode: str | None
    why: str | None  # "fixed bin" | "same lot" | "same product" | "empty bin"


class PutawayResult(BaseModel):
    result: ScanResult
    suggested: str | None
    followed: bool  # the bin scanned is the one suggested
    receipt: ReceiptPublic
