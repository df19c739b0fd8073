"""The forwarder against a scripted WebSocket server on a real local socket: answers settle
the outbox, a dropped connection re-sends the same event ids in order, a busy server is
retried, a refused key keeps every read. (The real server: test_agent_e2e.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hardware.forwarder import Forwarder
from hardware.link import Backoff
from hardware.outbox import Outbox
from hardware.reads import Decoded, ScanRead
from tests.conftest import free_port
from tests.hardware.helpers import FakeServer, applied, fake_server, until


@contextlib.asynccontextmanager
async def forwarding(
    outbox: Outbox, url: str, **kw: Any
) -> AsyncIterator[tuple[Forwarder, list[tuple[str, str | None]]]]:
    states: list[tuple[str, str | None]] = []

    async def on_state(state: str, error: str | None) -> None:
        states.append((state, error))

    kw.setdefault("backoff", Backoff(0.02, 0.05))
    fwd = Forwarder("dock-1", url, "jxcd_test_key", outbox, on_state=on_state, **kw)
    task = asyncio.create_task(fwd.run())
    try:
        yield fwd, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Outbox]:
    box = await Outbox.open(tmp_path / "outbox.db")
    yield box
    await box.close()


async def put(outbox: Outbox, n: int, device: str = "dock-1", prefix: str = "C") -> list[ScanRead]:
    reads = [ScanRead.stamp(Decoded(f"{prefix}{i}", b""), device, "tcp") for i in range(n)]
    for r in reads:
        await outbox.put(r)
    return reads


async def drained(outbox: Outbox, device: str = "dock-1", timeout: float = 10) -> None:
    async def empty() -> bool:
        return await outbox.depth(device) == 0

    await until(empty, timeout)


async def test_answers_settle_the_outbox(outbox: Outbox) -> None:
    def answer(scan: dict[str, Any], _n: int) -> dict[str, Any]:
        if scan["code"] == "C3":
            error = {
                "code": "unknown_code",
                "message": "No product has the code 'C3'.",
                "details": {"code": "C3"},
            }
            return {"event_id": scan["event_id"], "status": "rejected", "error": error}
        return {
            "event_id": scan["event_id"],
            "status": "duplicate" if scan["code"] == "C1" else "applied",
        }

    reads = await put(outbox, 300)  # more than one window and one batch
    async with (
        fake_server(FakeServer(answer)) as fake,
        forwarding(outbox, fake.url, reference="PO-1") as (fwd, states),
    ):
        await drained(outbox)
        more = await put(outbox, 5, prefix="late-")  # woken by the agent after each write
        fwd.wake.set()
        await drained(outbox)
    sent = [s["event_id"] for s in fake.received]
    assert sent == [r.event_id for r in reads + more]  # in order, each once
    assert fake.received[0] == {**reads[0].scan(), "reference": "PO-1"}
    assert fake.tokens == ["Bearer jxcd_test_key"]
    (dead,) = await outbox.dead_letters("dock-1")
    assert (dead.read, dead.error.code, dead.error.details) == (
        reads[3],
        "unknown_code",
        {"code": "C3"},
    )
    assert (fwd.acked, fwd.dead) == (304, 1)
    assert states[:2] == [("connecting", None), ("connected", None)]


async def test_a_dropped_connection_resends_the_same_events_in_order(outbox: Outbox) -> None:
    def answer(scan: dict[str, Any], n: int) -> dict[str, Any] | None:
        return None if n in (40, 41, 120) else applied(scan, n)  # hang up three times

    reads = await put(outbox, 200)
    async with (
        fake_server(FakeServer(answer)) as fake,
        forwarding(outbox, fake.url, window=32, batch=8),
    ):
        await drained(outbox)
    assert fake.connections == 4
    first_time: dict[str, int] = {}
    for i, scan in enumerate(fake.received):
        first_time.setdefault(scan["event_id"], i)
    # Every read arrived, first arrivals in outbox order; repeats are re-sends of the same ids.
    assert sorted(first_time, key=first_time.__getitem__) == [r.event_id for r in reads]
    assert {s["event_id"] for s in fake.received} == {r.event_id for r in reads}
    assert await outbox.dead_count("dock-1") == 0


async def test_a_busy_server_is_retried_not_dead_lettered(outbox: Outbox) -> None:
    def answer(scan: dict[str, Any], n: int) -> dict[str, Any]:
        if n <= 2:
            error = {
                "code": "unavailable",
                "message": "The stock ledger could not be written; retry the scan.",
            }
            return {"event_id": scan["event_id"], "status": "rejected", "error": error}
        return applied(scan, n)

    reads = await put(outbox, 3)
    async with (
        fake_server(FakeServer(answer)) as fake,
        forwarding(outbox, fake.url, window=1) as (_, states),
    ):
        await drained(outbox)
    assert [s["event_id"] for s in fake.received] == [reads[0].event_id] * 3 + [
        r.event_id for r in reads[1:]
    ]
    assert await outbox.dead_count("dock-1") == 0
    assert any(s == "disconnected" and e and "busy" in e for s, e in states)


async def test_a_refused_key_keeps_every_read(outbox: Outbox) -> None:
    await put(outbox, 3)
    async with (
        fake_server(FakeServer(refuse=401)) as fake,
        forwarding(outbox, fake.url) as (fwd, states),
    ):
        await until(lambda: fwd.state == "refused")
        assert fwd.error == "HTTP 401 not_authenticated: Unknown key."
        assert ("refused", "HTTP 401 not_authenticated: Unknown key.") in states
    assert await outbox.depth("dock-1") == 3
    assert fake.received == []


async def test_no_server_at_all(outbox: Outbox) -> None:
    await put(outbox, 2)
    async with forwarding(outbox, f"ws://127.0.0.1:{free_port()}/ws/scans") as (fwd, _):
        await until(lambda: fwd.error is not None)
        assert fwd.state in ("disconnected", "connecting")
    assert await outbox.depth("dock-1") == 2


@pytest.mark.parametrize(
    "bad",
    [
        lambda scan: {"event_id": "someone-else", "status": "applied"},
        lambda scan: {"event_id": scan["event_id"]},
        lambda scan: ["not", "an", "object"],
    ],
    ids=["wrong event id", "no status", "not an object"],
)
async def test_a_confused_answer_ends_the_session_not_the_reads(
    outbox: Outbox, bad: Callable[[dict[str, Any]], Any]
) -> None:
    def answer(scan: dict[str, Any], n: int) -> Any:
        return bad(scan) if n == 1 else applied(scan, n)

    reads = await put(outbox, 3)
    async with fake_server(FakeServer(answer)) as fake, forwarding(outbox, fake.url, window=1):
        await drained(outbox)
    assert fake.connections == 2
    assert [s["event_id"] for s in fake.received] == [
        reads[0].event_id,
        *(r.event_id for r in reads),
    ]


async def test_no_answer_in_time_reconnects(outbox: Outbox) -> None:
    reads = await put(outbox, 2)
    fake = FakeServer(mute_first=True)
    async with fake_server(fake), forwarding(outbox, fake.url, answer_timeout=0.3):
        await drained(outbox)
    assert fake.connections == 2
    assert [s["event_id"] for s in fake.received] == [r.event_id for r in reads] * 2
