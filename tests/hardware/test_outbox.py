"""The durable outbox: order per device, settle by answers, dead letters, requeue, status,
one agent per file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hardware.outbox import Outbox, OutboxError, Rejection
from hardware.reads import Decoded, ScanRead


def read(device: str, code: str) -> ScanRead:
    return ScanRead.stamp(Decoded(code, code.encode()), device, "tcp")


async def test_reads_come_back_in_order_per_device_and_leave_when_settled(tmp_path: Path) -> None:
    outbox = await Outbox.open(tmp_path / "o.db", lock=True)
    try:
        a = [read("dock-1", f"A{i}") for i in range(5)]
        b = [read("dock-2", f"B{i}") for i in range(3)]
        ids = {}
        for r in (a[0], b[0], a[1], a[2], b[1], a[3], b[2], a[4]):
            ids[r.event_id] = await outbox.put(r)
        batch = await outbox.batch("dock-1", 0, 3)
        assert [r for _, r in batch] == a[:3]
        assert [r for _, r in await outbox.batch("dock-1", batch[-1][0], 10)] == a[3:]
        assert (await outbox.depth("dock-1"), await outbox.depth("dock-2")) == (5, 3)
        why = Rejection("unknown_code", "No product has the code 'A1'.", {"code": "A1"})
        await outbox.settle([ids[a[0].event_id]], [(ids[a[1].event_id], why)])
        assert [r for _, r in await outbox.batch("dock-1", 0, 10)] == a[2:]
        assert (await outbox.depth("dock-1"), await outbox.dead_count("dock-1")) == (3, 1)
        (dead,) = await outbox.dead_letters("dock-1")
        assert (dead.read, dead.error) == (a[1], why)
        # Settling twice (an answer seen again after a reconnect) changes nothing more.
        await outbox.settle([ids[a[0].event_id]], [(ids[a[1].event_id], why)])
        assert (await outbox.depth("dock-1"), await outbox.dead_count("dock-1")) == (3, 1)
        # Requeued: back at the end, same event id (the server still applies it once).
        assert await outbox.requeue("dock-1") == 1
        assert [r.event_id for _, r in await outbox.batch("dock-1", 0, 10)][-1] == a[1].event_id
        assert await outbox.dead_count("dock-1") == 0
    finally:
        await outbox.close()


async def test_row_ids_are_never_reused(tmp_path: Path) -> None:
    """The forwarder's cursor is a row id: a new read must sort after every sent one."""
    outbox = await Outbox.open(tmp_path / "o.db")
    try:
        first = await outbox.put(read("d", "A"))
        await outbox.settle([first], [])
        assert await outbox.put(read("d", "B")) > first
    finally:
        await outbox.close()


async def test_durable_settings_and_a_second_reader(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    outbox = await Outbox.open(path, lock=True)
    try:
        r = read("dock-1", "A")
        await outbox.put(r)
        await outbox.set_state("dock-1", link_state="connected", server_state="disconnected")
        db = sqlite3.connect(path)  # another process would see the same: committed, WAL
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT event_id FROM outbox").fetchall() == [(r.event_id,)]
        db.close()
        status = await Outbox.open(path, create=False)
        try:
            (st,) = await status.status(["dock-1"])
            assert (st.outbox, st.dead_letters, st.link_state, st.server_state) == (
                1,
                0,
                "connected",
                "disconnected",
            )
            assert st.last_read_at == r.read_at
        finally:
            await status.close()
    finally:
        await outbox.close()


async def test_synchronous_full(tmp_path: Path) -> None:
    outbox = await Outbox.open(tmp_path / "o.db")
    try:
        assert outbox._conn is not None
        assert outbox._conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    finally:
        await outbox.close()


async def test_one_agent_per_outbox(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    first = await Outbox.open(path, lock=True)
    try:
        with pytest.raises(OutboxError, match="another agent"):
            await Outbox.open(path, lock=True)
    finally:
        await first.close()
    again = await Outbox.open(path, lock=True)  # free once the first is closed
    await again.close()


async def test_status_of_a_missing_outbox_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutboxError, match="no outbox"):
        await Outbox.open(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


async def test_not_an_outbox(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match="not a usable outbox"):
        await Outbox.open(path)
