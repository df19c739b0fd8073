"""From raw bytes to scans: each item validated on its own, so one bad item is one rejection."""

from __future__ import annotations

import json
from typing import Any

import orjson
from pydantic import ValidationError

from server import errors
from server.codes.resolver import document_kind_of
from server.scans.schemas import ScanIn, ScanResult

_FIELD_CODES = {
    "qty": "invalid_quantity",
    "event_id": "invalid_event_id",
    "type": "invalid_scan_type",
}


def load_json(raw: bytes | str) -> Any:
    """Parse JSON; a body that is not JSON is an ``InvalidJSON`` error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        # NaN / Infinity literals are not JSON, but senders do emit them: let them reach
        # validation, which answers invalid_quantity rather than a vague parse error.
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise errors.InvalidJSON("The message is not valid JSON.") from exc


def as_items(payload: Any) -> tuple[list[Any], bool]:
    if isinstance(payload, list):
        return payload, True
    if isinstance(payload, dict):
        return [payload], False
    raise errors.InvalidScan("Send a scan object or a list of scan objects.")


def validate(item: Any) -> ScanIn | ScanResult:
    """A ``ScanIn``, or the rejection that says what is wrong with it."""
    try:
        scan = ScanIn.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        code = _FIELD_CODES.get(loc[0] if loc else "", "invalid_scan")
        event_id = item.get("event_id") if isinstance(item, dict) else None
        message = f"{'.'.join(loc) or 'scan'}: {first.get('msg', 'invalid value')}"
        return ScanResult.rejected(str(event_id)[:64] if event_id else None, code, message)
    if scan.reference and (kind := document_kind_of(scan.reference)) is not None:
        # A receipt, transfer or pick list reads what it moved from the ledger by its
        # number: a plain scan under that number would count as the document's own.
        err = errors.ReservedReference(
            f"{scan.reference} is a {kind.type.replace('_', ' ')}'s number; post its scans "
            "through the document, or give another reference."
        )
        return ScanResult.rejected(str(scan.event_id), err.code, err.message)
    return scan
