"""What ``/api/codes/resolve`` and ``/api/decode`` answer."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.kit.quantity import Qty
from server.models import LocationKind, Tracking
from server.scans.schemas import ErrorBody


class GS1Public(BaseModel):
    gtin: str | None = Field(description="GTIN-14 (AI 01).")
    lot: str | None = Field(description="Batch/lot (AI 10).")
    serial: str | None = Field(description="Serial number (AI 21).")
    expiry: date | None = Field(description="Expiry date (AI 17).")
    best_before: date | None = Field(description="Best before (AI 15).")
    quantity: str | None = Field(description="Count (AI 30/37) or net kg (AI 310n).")
    sscc: str | None = Field(description="Serial shipping container code (AI 00).")
    ais: dict[str, str] = Field(description="Every element string, by AI.")


class ProductRef(BaseModel):
    sku: str
    name: str
    tracking: Tracking
    active: bool


class LocationRef(BaseModel):
    code: str
    warehouse: str
    kind: LocationKind


class DocumentPublic(BaseModel):
    type: str
    number: str
    status: str | None


class ResolvedCode(BaseModel):
    """One scanned code and what it is here."""

    code: str = Field(description="As scanned.")
    kind: Literal["product", "sscc", "location", "serial", "document", "unknown", "invalid"]
    text: str = Field(description="The code without its AIM symbology identifier.")
    aim: str | None = Field(description="AIM symbology identifier, e.g. ]C1, ]E0, ]d2.")
    content_type: Literal["gs1", "epc", "plain"]
    gtin: str | None = Field(description="GTIN-14, from GS1 data or an EAN/UPC code.")
    gs1: GS1Public | None = None
    product: ProductRef | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    quantity: Qty | None = None
    location: LocationRef | None = None
    document: DocumentPublic | None = None
    error: ErrorBody | None = Field(
        default=None, description="Why the code is invalid (kind 'invalid') or not an item."
    )


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    codes: list[str] = Field(min_length=1, max_length=200)


class DecodedRead(BaseModel):
    """One barcode found in an image, with what it is."""

    text: str
    raw_hex: str = Field(description="The symbol's raw bytes, hex.")
    symbology: str
    aim: str | None
    content_type: Literal["gs1", "plain"]
    position: list[tuple[int, int]] = Field(description="Corners (x, y) in image pixels.")
    decoder: str = Field(description="The engine that read it: zxing or zbar.")
    resolved: ResolvedCode


class DecodeResponse(BaseModel):
    width: int
    height: int
    reads: list[DecodedRead]
    engines: dict[str, bool] = Field(description="Decoding engines available on this server.")
    decode_ms: float = Field(description="CPU time spent decoding, milliseconds.")


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> ErrorBody:
    return ErrorBody(code=code, message=message, details=details)
