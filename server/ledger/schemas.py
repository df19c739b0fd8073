"""Read models of the ledger: stock rows and moves."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from server.kit.quantity import Qty


class StockRow(BaseModel):
    sku: str
    product_name: str
    unit: str
    warehouse: str
    location: str
    location_kind: str
    lot: str | None
    expiry: date | None
    qty: Qty


class MovePublic(BaseModel):
    seq: int
    event_id: str
    kind: str
    warehouse: str
    sku: str
    lot: str | None
    qty: int | float
    from_location: str
    to_location: str
    from_qty: int | float
    to_qty: int | float
    reference: str | None
    reason: str | None
    user_id: int | None
    device_id: int | None
    scanned_at: str | None
    applied_at: str | None
