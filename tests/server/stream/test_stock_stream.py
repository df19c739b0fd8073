"""``WS /ws/stock``: the snapshot or the moves since ``since``, then every committed move."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

import server.stream.service as stream_service
from server.settings import Settings
from tests.conftest import RunningServer, World, scan, user_token
from tests.server.stream.live import (
    StockKey,
    applied_seqs,
    apply_moves,
    as_stock,
    head,
    ledger,
    open_stream,
    post,
    receive,
    seqs,
    stock,
)

Seen = tuple[int, dict[StockKey, Any], list[dict[str, Any]]]  # snapshot seq, stock, moves


async def seed(world: World) -> int:
    """Three moves: PLAIN 3 into A1, LOTTED lot L1 2 into A2, PLAIN 1 into B1 (WH2)."""
    async with world.server.client("admin") as c:
        got = await applied_seqs(
            c,
            [
                receive(qty=3),
                receive("LOTTED", 2, "A2", lot="L1"),
                receive(qty=1, location="B1"),
            ],
        )
    assert got == [1, 2, 3]
    return got[-1]


# --- without since: a snapshot, then the live moves ------------------------------------


async def test_snapshot_then_live_moves_in_seq_order(world: World) -> None:
    last = await seed(world)
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["supervisor"]) as s,
    ):
        seq, rows = await s.snapshot()
        assert seq == last
        assert as_stock(rows) == await stock(c)
        assert as_stock(rows) == {
            ("WH1", "A1", "PLAIN", None): 3,
            ("WH1", "A2", "LOTTED", "L1"): 2,
            ("WH2", "B1", "PLAIN", None): 1,
        }
        await post(c, receive(qty=2))
        await post(c, scan(type="transfer", code="PLAIN", qty=1, location="A1", to_location="A2"))
        await post(c, scan(type="pick", code="LOTTED", qty=2, location="A2", lot="L1"))
        got = await s.moves(3)
        assert seqs(got) == [4, 5, 6]
        receive_m, transfer_m, pick_m = got
        assert (receive_m["kind"], receive_m["to_location"], receive_m["qty"]) == (
            "receive",
            "A1",
            2,
        )
        assert receive_m["to_qty"] == 5
        assert receive_m["from_qty"] == -5  # the supplier's side: 3 + 2 received so far
        assert (transfer_m["from_location"], transfer_m["to_location"]) == ("A1", "A2")
        assert (transfer_m["from_qty"], transfer_m["to_qty"]) == (4, 1)
        assert (pick_m["sku"], pick_m["lot"], pick_m["from_qty"]) == ("LOTTED", "L1", 0)
        assert all(m["warehouse"] == "WH1" for m in got)
        await s.quiet()
        # The snapshot rolled forward by the moves' balances is the stock now.
        assert apply_moves(as_stock(rows), got) == await stock(c)
        # Live messages are the ledger's own rows, field for field.
        assert got == await ledger(c, since=last)


async def test_snapshot_of_an_empty_ledger(world: World) -> None:
    async with open_stream(world.server, world.server.tokens["admin"]) as s:
        first = await s.recv()
        assert first == {
            "type": "snapshot",
            "seq": 0,
            "warehouse": None,
            "stock": [],
            "part": 0,
            "last": True,
        }
        async with world.server.client("receiver") as c:
            await post(c, receive())
        (m,) = await s.moves(1)
        assert (m["seq"], m["to_qty"]) == (1, 1)


async def test_snapshot_comes_in_chunks(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_service, "SNAPSHOT_CHUNK", 2)
    async with world.server.client("admin") as c:
        await applied_seqs(
            c,
            [receive(location=loc) for loc in ("DOCK", "A1", "A2", "STAGE", "B1")],
        )
        async with open_stream(world.server, world.server.tokens["admin"]) as s:
            parts = [await s.recv() for _ in range(3)]
            assert [(p["part"], p["last"], len(p["stock"])) for p in parts] == [
                (0, False, 2),
                (1, False, 2),
                (2, True, 1),
            ]
            assert {p["seq"] for p in parts} == {5}
            assert as_stock(r for p in parts for r in p["stock"]) == await stock(c)
            await post(c, receive())
            (m,) = await s.moves(1)
            assert m["seq"] == 6


async def test_snapshot_is_consistent_with_its_seq_while_scans_commit(world: World) -> None:
    """Scans committing while subscribers connect: each subscriber's snapshot plus the moves
    after its seq adds up to the final stock, with no move missed or repeated."""
    async with world.server.client("admin") as c:
        await post(c, receive(qty=100))

        async def scans() -> None:
            for i in range(30):
                await post(c, receive(qty=1, location="A1" if i % 2 else "A2"))

        async def subscriber() -> Seen:
            async with open_stream(world.server, world.server.tokens["admin"]) as s:
                seq, rows = await s.snapshot()
                moves = await s.moves_until(31) if seq < 31 else []
                await s.quiet(0.2)
                return seq, as_stock(rows), moves

        async def staggered(delay: float) -> Seen:
            await asyncio.sleep(delay)
            return await subscriber()

        writer = asyncio.create_task(scans())
        results = await asyncio.wait_for(
            asyncio.gather(*(staggered(i * 0.02) for i in range(8))), 60
        )
        await asyncio.wait_for(writer, 60)
        final = await stock(c)
    for seq, book, moves in results:
        assert seqs(moves) == list(range(seq + 1, 32))
        assert apply_moves(book, moves) == final


# --- with since: exactly the moves after it, then live ones ----------------------------


async def test_since_replays_exactly_the_moves_after_it(world: World) -> None:
    async with world.server.client("admin") as c:
        await applied_seqs(c, [receive(qty=i + 1) for i in range(5)])
        top = 5
        for since in (0, 2, 5):
            async with open_stream(world.server, world.server.tokens["admin"], since=since) as s:
                got = await s.moves(top - since)
                assert seqs(got) == list(range(since + 1, top + 1))
                assert got == await ledger(c, since=since)
                await s.quiet(0.2)
                top = (await post(c, receive(qty=1)))["seq"]
                (live,) = await s.moves(1)
                assert live["seq"] == top
                await s.quiet(0.2)


async def test_since_gets_moves_committed_during_the_replay(world: World) -> None:
    """Moves committing while a subscriber catches up reach it once each, in order."""
    async with world.server.client("admin") as c:
        await applied_seqs(c, [receive() for _ in range(50)])

        async def more() -> None:
            for _ in range(20):
                await post(c, receive())

        writer = asyncio.create_task(more())
        async with open_stream(world.server, world.server.tokens["admin"], since=10) as s:
            await asyncio.wait_for(writer, 60)
            got = await s.moves_until(70)
            assert seqs(got) == list(range(11, 71))
            await s.quiet(0.3)


async def test_since_with_token_in_query(world: World) -> None:
    async with world.server.client("admin") as c:
        await applied_seqs(c, [receive(), receive()])
    async with open_stream(world.server, None, token=world.server.tokens["picker"], since=1) as s:
        (m,) = await s.moves(1)
        assert m["seq"] == 2


async def test_since_ahead_of_the_ledger_gets_a_snapshot(world: World) -> None:
    """A client remembering a seq the ledger never reached (e.g. a restored database) must
    not silently skip the moves up to it: it gets a fresh snapshot instead."""
    async with world.server.client("admin") as c:
        await applied_seqs(c, [receive(), receive()])
        async with open_stream(world.server, world.server.tokens["admin"], since=50) as s:
            seq, rows = await s.snapshot()
            assert seq == 2
            assert as_stock(rows) == {("WH1", "A1", "PLAIN", None): 2}
            await post(c, receive())
            (m,) = await s.moves(1)
            assert m["seq"] == 3


class TestCatchupLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"stream_catchup_max": 3})

    async def test_since_too_far_behind_gets_a_snapshot(self, world: World) -> None:
        """More than ``stream_catchup_max`` moves behind: a snapshot, not a long replay."""
        assert world.server.settings.stream_catchup_max == 3
        async with world.server.client("admin") as c:
            await applied_seqs(c, [receive() for _ in range(5)])
        async with open_stream(world.server, world.server.tokens["admin"], since=1) as s:
            seq, rows = await s.snapshot()
            assert (seq, as_stock(rows)) == (5, {("WH1", "A1", "PLAIN", None): 5})
        async with open_stream(world.server, world.server.tokens["admin"], since=2) as s:
            assert seqs(await s.moves(3)) == [3, 4, 5]


# --- filtered by warehouse ---------------------------------------------------------------


async def test_warehouse_filter(world: World) -> None:
    await seed(world)
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"], warehouse="WH2") as wh2,
        open_stream(world.server, world.server.tokens["admin"], warehouse="WH1") as wh1,
    ):
        seq, rows = await wh2.snapshot()
        assert seq == 3
        assert as_stock(rows) == {("WH2", "B1", "PLAIN", None): 1} == await stock(c, "WH2")
        seq, rows = await wh1.snapshot()
        assert as_stock(rows) == await stock(c, "WH1")
        assert len(rows) == 2
        await applied_seqs(
            c,
            [
                receive(location="B1"),
                receive(location="A1"),
                receive(location="A2"),
                receive(location="B1", qty=4),
            ],
        )
        got2 = await wh2.moves(2)
        assert [(m["seq"], m["warehouse"], m["to_qty"]) for m in got2] == [
            (4, "WH2", 2),
            (7, "WH2", 6),
        ]
        got1 = await wh1.moves(2)
        assert [(m["seq"], m["warehouse"]) for m in got1] == [(5, "WH1"), (6, "WH1")]
        await wh2.quiet(0.2)
        await wh1.quiet(0.2)


async def test_warehouse_filter_with_since(world: World) -> None:
    await seed(world)
    async with world.server.client("admin") as c:
        await applied_seqs(c, [receive(location="B1"), receive(location="A2")])
        async with open_stream(
            world.server, world.server.tokens["admin"], warehouse="WH1", since=0
        ) as s:
            got = await s.moves(3)
            assert seqs(got) == [1, 2, 5]
            assert got == await ledger(c, warehouse="WH1")
            await s.quiet(0.2)
            await applied_seqs(c, [receive(location="B1"), receive(location="DOCK")])
            (m,) = await s.moves(1)
            assert (m["seq"], m["to_location"]) == (7, "DOCK")


async def make_user(server: RunningServer, name: str, warehouse: str | None) -> str:
    return await user_token(server, name, "supervisor", warehouse)


async def test_user_bound_to_a_warehouse_sees_only_it(world: World) -> None:
    token = await make_user(world.server, "wh2-boss", "WH2")
    await seed(world)
    async with open_stream(world.server, token) as s:
        first = await s.recv()
        assert (first["type"], first["warehouse"]) == ("snapshot", "WH2")
        assert as_stock(first["stock"]) == {("WH2", "B1", "PLAIN", None): 1}
        async with world.server.client("admin") as c:
            await applied_seqs(c, [receive(), receive(location="B1")])
        (m,) = await s.moves(1)
        assert (m["seq"], m["warehouse"]) == (5, "WH2")
        await s.quiet(0.2)
    async with open_stream(world.server, token, warehouse="WH2", since=0) as s:
        assert seqs(await s.moves(2)) == [3, 5]


async def refused(server: RunningServer, bearer: str | None, **params: Any) -> tuple[int, bytes]:
    """The handshake's HTTP status and body, when the server refuses it."""
    with pytest.raises(InvalidStatus) as info:
        async with open_stream(server, bearer, **params):
            pass
    return info.value.response.status_code, bytes(info.value.response.body or b"")


async def test_handshake_refusals(world: World) -> None:
    srv = world.server
    wh2_token = await make_user(srv, "wh2-only", "WH2")
    status, body = await refused(srv, None)
    assert (status, b"not_authenticated" in body) == (401, True)
    assert (await refused(srv, "not-a-token"))[0] == 401
    assert (await refused(srv, None, token="not-a-token"))[0] == 401
    assert (await refused(srv, "jxc_dev_bogus"))[0] == 401
    status, body = await refused(srv, srv.tokens["admin"], warehouse="NOPE")
    assert (status, b"not_found" in body) == (404, True)
    status, body = await refused(srv, wh2_token, warehouse="WH1")
    assert (status, b"forbidden" in body) == (403, True)
    for bad in (-1, "abc", "1.5", "9" * 5000):
        status, body = await refused(srv, srv.tokens["admin"], since=bad)
        assert (status, b"validation_error" in body) == (422, True), bad
    # The same user may open its own warehouse; the admin may open any.
    for token, wh in ((wh2_token, "WH2"), (srv.tokens["admin"], "WH1")):
        async with open_stream(srv, token, warehouse=wh) as s:
            assert (await s.recv())["type"] == "snapshot"


async def test_refused_handshakes_leave_no_subscription(world: World) -> None:
    hub = world.server.app.state.jxc.hub
    for _ in range(5):
        await refused(world.server, None)
        await refused(world.server, world.server.tokens["admin"], warehouse="NOPE")
    assert hub.subscribers == 0


# --- published only after commit ---------------------------------------------------------


async def test_rejected_and_duplicate_scans_publish_nothing(world: World) -> None:
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        assert (await s.snapshot())[0] == 0
        first = receive(qty=2)
        assert (await post(c, first))["seq"] == 1
        (m,) = await s.moves(1)
        assert m["event_id"] == first["event_id"]

        too_many = scan(type="pick", code="PLAIN", qty=5, location="A1")
        result = await post(c, too_many)
        assert (result["status"], result["error"]["code"]) == ("rejected", "insufficient_stock")
        unknown = await post(c, receive("NO-SUCH-CODE"))
        assert unknown["status"] == "rejected"
        replay = await post(c, first)
        assert (replay["status"], replay["seq"]) == ("duplicate", 1)
        await s.quiet(0.5)

        # A batch: only its applied scans are published, with consecutive seqs.
        results = await post(c, [too_many, receive(), first, receive(location="A2")])
        assert [r["status"] for r in results] == ["rejected", "applied", "duplicate", "applied"]
        got = await s.moves(2)
        assert seqs(got) == [2, 3]
        assert [m["to_location"] for m in got] == ["A1", "A2"]
        await s.quiet(0.3)
        assert await head(c) == 3


async def test_a_move_is_in_the_ledger_when_it_is_streamed(world: World) -> None:
    """Published after the commit: whatever a subscriber hears, a reader can already see."""
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()

        async def scans() -> None:
            for _ in range(10):
                await post(c, receive())

        writer = asyncio.create_task(scans())
        deadline = time.monotonic() + 30
        for expected in range(1, 11):
            (m,) = await s.moves(1, timeout=max(0.1, deadline - time.monotonic()))
            assert m["seq"] == expected
            assert seqs(await ledger(c, since=expected - 1))[:1] == [expected]
        await asyncio.wait_for(writer, 30)


async def test_live_and_replayed_moves_agree_on_scanned_at_with_an_offset(world: World) -> None:
    """A scan's time with a UTC offset: the same instant, written the same way, live or not."""
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()
        await post(c, receive(scanned_at="2024-05-01T10:00:00+08:00"))
        (live,) = await s.moves(1)
        (stored,) = await ledger(c)
        assert stored["scanned_at"] == "2024-05-01T02:00:00+00:00"
        assert live == stored
