"""The read envelope (outbox row and wire message), health and backoff."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from hardware.link import MAX_ERROR, Backoff, Health
from hardware.reads import Decoded, ScanRead


def test_envelope_round_trips_through_json() -> None:
    decoded = Decoded(
        text="010590123412345715",
        raw=b"\x02]C1010590123412345715\xff",
        aim="]C1",
        symbology="Code128",
        qty=Decimal("2.5"),
        extra={"antenna": 2, "rssi": -61.5, "epcs": ["3034"], "position": [[1, 2], [3, 4]]},
        reference="rfid pass 1",
    )
    read = ScanRead.stamp(decoded, "dock-1", "tcp", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert uuid.UUID(read.event_id).version == 4
    again = ScanRead.from_json(read.to_json())
    assert again == read
    assert again.code == "]C1010590123412345715"


def test_the_scan_message_is_what_the_server_takes() -> None:
    read = ScanRead.stamp(Decoded("5901234123457", b"5901234123457"), "dock-1", "serial")
    assert read.scan() == {
        "event_id": read.event_id,
        "code": "5901234123457",
        "scanned_at": read.read_at.isoformat(),
        "device_id": "dock-1",
    }
    assert read.scan("PO-7")["reference"] == "PO-7"
    counted = ScanRead.stamp(Decoded("x", b"x", qty=Decimal(48)), "d", "llrp")
    assert json.dumps(counted.scan()["qty"]) == "48"
    weighed = ScanRead.stamp(Decoded("x", b"x", qty=Decimal("1.25"), reference="own"), "d", "hid")
    assert weighed.scan("device's")["qty"] == 1.25
    assert weighed.scan("device's")["reference"] == "own"


def test_two_stamps_are_two_events() -> None:
    decoded = Decoded("A", b"A")
    assert (
        ScanRead.stamp(decoded, "d", "tcp").event_id != ScanRead.stamp(decoded, "d", "tcp").event_id
    )


def test_health_notifies_changes_only() -> None:
    health = Health()
    seen: list[tuple[str, str | None]] = []
    health.listeners.append(lambda h: seen.append((h.state, h.error)))
    health.up()
    health.up()
    health.fail("refused")
    health.fail("x" * 2000)
    health.down()
    assert seen == [
        ("connected", None),
        ("error", "refused"),
        ("error", "x" * MAX_ERROR),
        ("disconnected", None),
    ]


def test_backoff_grows_with_jitter_up_to_a_bound_and_resets() -> None:
    low = Backoff(0.5, 8.0, rng=lambda: 0.0)
    assert [low.next() for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    high = Backoff(0.5, 8.0, rng=lambda: 0.999999)
    delays = [high.next() for _ in range(100)]
    assert max(delays) <= 8.0 and delays[-1] > 7.9
    high.reset()
    assert high.next() < 0.5
    with pytest.raises(ValueError):
        Backoff(0, 1)
