"""The one shape of a move as clients see it: ``GET /api/moves`` and the live stream."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping

from server.kit.quantity import qty_json


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:  # SQLite hands back naive UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat()


def move_message(m: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """``m`` is a ledger row joined with its codes (see ``LedgerRepository.moves_since``)."""
    return {
        "type": "move",
        "seq": m["seq"],
        "event_id": m["event_id"],
        "kind": m["kind"],
        "warehouse": m["warehouse"],
        "sku": m["sku"],
        "lot": m["lot"],
        "qty": qty_json(m["qty"]),
        "from_location": m["from_location"],
        "to_location": m["to_location"],
        "from_qty": qty_json(m["from_balance"]),
        "to_qty": qty_json(m["to_balance"]),
        "reference": m["reference"],
        "reason": m["reason"],
        "user_id": m["user_id"],
        "device_id": m["device_id"],
        "scanned_at": iso(m["scanned_at"]),
        "applied_at": iso(m["applied_at"]),
    }
