"""One read envelope for every source, and what an adapter hands over before it is stamped.

An adapter (TCP, serial, HID, camera, RFID, simulator) turns its input into ``Decoded``
values: what was read, nothing about who or when. The device runner stamps each one into a
``ScanRead`` (event id, device, time) and writes it to the outbox before anything else, so
the envelope is also the outbox's row format: it round-trips through JSON exactly.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from hardware.link import Health

# Sources, as the envelope names them.
SOURCES = frozenset({"tcp", "serial", "hid", "camera", "llrp", "simulate"})


@dataclass(frozen=True, slots=True)
class Decoded:
    """What an adapter read: text (AIM identifier split off), the raw bytes it came from,
    and details worth keeping (antenna, RSSI, image position) in ``extra``."""

    text: str
    raw: bytes
    aim: str | None = None  # "]C1": symbology identifier, when the device sent one
    symbology: str | None = None  # "EAN13", "Code128"... (scanner.symbology names)
    qty: Decimal | None = None  # None: the server's default (1, or the GS1 quantity)
    extra: Mapping[str, Any] = field(default_factory=dict)
    reference: str | None = None  # groups reads on the server (an RFID pass); else the device's

    @property
    def code(self) -> str:
        """What the server resolves: the AIM identifier (which marks GS1 data) plus the text."""
        return (self.aim or "") + self.text


@dataclass(frozen=True, slots=True)
class ScanRead:
    """One read from one device: the unit the outbox stores and the server applies once."""

    event_id: str
    device_id: str
    source: str
    text: str
    raw: bytes
    read_at: datetime
    aim: str | None = None
    symbology: str | None = None
    qty: Decimal | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    reference: str | None = None

    @classmethod
    def stamp(
        cls, decoded: Decoded, device_id: str, source: str, read_at: datetime | None = None
    ) -> ScanRead:
        """Give a decoded read its identity: a fresh event id, the device, the time."""
        return cls(
            event_id=str(uuid.uuid4()),
            device_id=device_id,
            source=source,
            text=decoded.text,
            raw=decoded.raw,
            read_at=read_at or datetime.now(UTC),
            aim=decoded.aim,
            symbology=decoded.symbology,
            qty=decoded.qty,
            extra=dict(decoded.extra),
            reference=decoded.reference,
        )

    @property
    def code(self) -> str:
        return (self.aim or "") + self.text

    def to_json(self) -> str:
        """The outbox form: plain JSON, raw bytes in base64, the quantity as a string."""
        return json.dumps(
            {
                "event_id": self.event_id,
                "device_id": self.device_id,
                "source": self.source,
                "text": self.text,
                "raw": base64.b64encode(self.raw).decode("ascii"),
                "read_at": self.read_at.isoformat(),
                "aim": self.aim,
                "symbology": self.symbology,
                "qty": None if self.qty is None else str(self.qty),
                "extra": dict(self.extra),
                "reference": self.reference,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ScanRead:
        d = json.loads(text)
        return cls(
            event_id=d["event_id"],
            device_id=d["device_id"],
            source=d["source"],
            text=d["text"],
            raw=base64.b64decode(d["raw"]),
            read_at=datetime.fromisoformat(d["read_at"]),
            aim=d.get("aim"),
            symbology=d.get("symbology"),
            qty=None if d.get("qty") is None else Decimal(d["qty"]),
            extra=d.get("extra") or {},
            reference=d.get("reference"),
        )

    def scan(self, reference: str | None = None) -> dict[str, Any]:
        """The scan message for ``WS /ws/scans``; the device's binding on the server
        supplies its type and location. ``reference``: the device's, unless the read has
        its own."""
        message: dict[str, Any] = {
            "event_id": self.event_id,
            "code": self.code,
            "scanned_at": self.read_at.isoformat(),
            "device_id": self.device_id,
        }
        if self.qty is not None:
            message["qty"] = (
                int(self.qty) if self.qty == self.qty.to_integral() else float(self.qty)
            )
        if self.reference or reference:
            message["reference"] = self.reference or reference
        return message


class Source(Protocol):
    """A device adapter: yields what it reads, keeps ``health`` up to date, reconnects on
    its own. ``kind`` names the envelope's source ("tcp", "serial", ...)."""

    kind: str
    health: Health

    def reads(self) -> AsyncIterator[Decoded]: ...
