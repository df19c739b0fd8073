"""Many writers at once, one or two server processes: every subscriber sees strictly
increasing, gap-free seqs, and what it sees adds up to ``GET /api/stock``."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect

from server.settings import Settings
from server.stream.hub import StockHub
from tests.conftest import RunningServer, World, scan
from tests.server.stream.live import (
    WAIT,
    Stream,
    another_server,
    applied_seqs,
    apply_moves,
    as_stock,
    head,
    hubs_without_polling,
    ledger,
    open_stream,
    post,
    receive,
    seqs,
    stock,
    subscribers_settle,
)

Moves = list[dict[str, Any]]


async def http_writer(server: RunningServer, who: str, n: int, seed: int) -> int:
    """``n`` posts: single receives, small batches, and transfers that may be refused."""
    rng = random.Random(seed)
    applied = 0
    async with server.client(who) as c:
        for i in range(n):
            if i % 5 == 4:
                batch = [receive(location=rng.choice(["A1", "A2", "B1"])) for _ in range(3)]
                results = await post(c, batch)
                applied += sum(r["status"] == "applied" for r in results)
            elif i % 3 == 2:
                move = scan(type="transfer", code="PLAIN", qty=1, location="A1", to_location="A2")
                result = await post(c, move)
                applied += result["status"] == "applied"
            else:
                result = await post(c, receive(location=rng.choice(["A1", "DOCK", "B1"])))
                applied += result["status"] == "applied"
    return applied


async def ws_writer(server: RunningServer, n: int) -> int:
    """``n`` scans over ``WS /ws/scans``, sent without waiting for answers."""
    url = f"{server.ws_url}/ws/scans"
    headers = {"Authorization": f"Bearer {server.tokens['supervisor']}"}
    async with connect(url, additional_headers=headers, proxy=None, open_timeout=WAIT) as ws:
        for i in range(n):
            await ws.send(orjson.dumps(receive(location="A2" if i % 2 else "B1")).decode())
        results = [orjson.loads(await asyncio.wait_for(ws.recv(), WAIT)) for _ in range(n)]
    assert all(r["status"] == "applied" for r in results), results
    return n


async def read_until(stream: Stream, last: int) -> Moves:
    return await stream.moves_until(last, timeout=30) if last else []


def assert_increasing(moves: Moves) -> None:
    got = seqs(moves)
    assert all(a < b for a, b in itertools.pairwise(got)), got


async def test_concurrent_writers_ordered_gap_free_stream(world: World) -> None:
    srv = world.server
    hub: StockHub = srv.app.state.jxc.hub
    async with srv.client("admin") as c:
        await post(c, receive(qty=10))  # something for the transfers to take
        async with (
            open_stream(srv, srv.tokens["admin"]) as live,
            open_stream(srv, srv.tokens["supervisor"], since=0) as replay,
            open_stream(srv, srv.tokens["admin"], warehouse="WH1") as wh1,
        ):
            start, snapshot = await live.snapshot()
            wh1_start, wh1_snapshot = await wh1.snapshot()
            assert start == wh1_start == 1

            applied = await asyncio.wait_for(
                asyncio.gather(
                    *(
                        http_writer(srv, who, 25, i)
                        for i, who in enumerate(["admin", "receiver", "supervisor", "admin"])
                    ),
                    ws_writer(srv, 30),
                ),
                120,
            )
            top = await head(c)
            assert top == 1 + sum(applied)
            everything = await ledger(c)
            wh1_last = max(m["seq"] for m in everything if m["warehouse"] == "WH1")

            live_got, replay_got, wh1_got = await asyncio.gather(
                read_until(live, top), read_until(replay, top), read_until(wh1, wh1_last)
            )
            for s in (live, replay, wh1):
                await s.quiet(0.3)
            final = await stock(c)
            final_wh1 = await stock(c, "WH1")

    assert seqs(live_got) == list(range(2, top + 1))
    assert seqs(replay_got) == list(range(1, top + 1))
    assert live_got == replay_got[1:] == everything[1:]
    assert apply_moves(as_stock(snapshot), live_got) == final
    assert apply_moves({}, replay_got) == final
    assert_increasing(wh1_got)
    assert wh1_got == [m for m in everything[1:] if m["warehouse"] == "WH1"]
    assert apply_moves(as_stock(wh1_snapshot), wh1_got) == final_wh1
    assert {m["kind"] for m in live_got} == {"receive", "transfer"}

    await subscribers_settle(hub, 0)  # closed subscribers are forgotten


class TestTwoServersBrokerOnly:
    """Hubs that do not poll the ledger's head: only broker messages tell them of moves."""

    @pytest.fixture
    def settings(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
        hubs_without_polling(monkeypatch)
        return settings

    async def test_two_servers_on_one_database(self, world: World, broker_kind: str) -> None:
        """Scans taken by either server reach subscribers of both.

        With Redis every process hears every other's moves at once. The memory broker stays in
        its process: server B's subscribers only learn of A's moves when B's hub next hears of
        a later seq (its own next move), and then get every one of them, in order."""
        a = world.server
        async with (
            another_server(a) as (b, _),
            a.client("admin") as on_a,
            b.client("admin") as on_b,
        ):
            async with (
                open_stream(b, b.tokens["admin"]) as sub_b,
                open_stream(a, a.tokens["admin"]) as sub_a,
            ):
                assert (await sub_b.snapshot())[0] == 0
                assert (await sub_a.snapshot())[0] == 0
                assert (await post(on_a, receive(qty=2)))["seq"] == 1
                if broker_kind == "redis":
                    (m,) = await sub_b.moves(1)
                    assert (m["seq"], m["to_qty"]) == (1, 2)
                else:
                    await sub_b.quiet(0.5)
                assert seqs(await sub_a.moves(1)) == [1]

                assert (await post(on_b, receive(location="B1")))["seq"] == 2
                expected_b = [2] if broker_kind == "redis" else [1, 2]
                assert seqs(await sub_b.moves(len(expected_b))) == expected_b
                if broker_kind == "redis":
                    assert seqs(await sub_a.moves(1)) == [2]
                else:
                    await sub_a.quiet(0.3)

                # Both take scans at once; with Redis both streams carry every seq in order.
                async def burst(client: Any, location: str) -> None:
                    for _ in range(20):
                        await post(client, receive(location=location))

                await asyncio.wait_for(
                    asyncio.gather(burst(on_a, "A1"), burst(on_b, "B1"), burst(on_a, "A2")), 60
                )
                top = await head(on_a)
                assert top == 62
                if broker_kind == "redis":
                    got_a = await sub_a.moves_until(top)
                    got_b = await sub_b.moves_until(top)
                    assert seqs(got_a) == seqs(got_b) == list(range(3, top + 1))
                    assert got_a == got_b == await ledger(on_a, since=2)
                else:
                    # Each hub hears its own moves and reads the other's from the ledger when it
                    # next hears of a later seq: B's last move (63) catches B up to it, A's (64)
                    # catches A up to it, B never hears of 64.
                    assert (await post(on_b, receive()))["seq"] == 63
                    assert (await post(on_a, receive()))["seq"] == 64
                    got_a = await sub_a.moves_until(64)
                    got_b = await sub_b.moves_until(63)
                    assert seqs(got_a) == list(range(2, 65))  # A never heard of 2 before
                    assert seqs(got_b) == list(range(3, 64))
                    everything = await ledger(on_a)
                    assert got_a == everything[1:]
                    assert got_b == everything[2:63]
                await sub_a.quiet(0.3)
                await sub_b.quiet(0.3)

            # Either server replays what the other took.
            async with open_stream(b, b.tokens["admin"], since=0) as s:
                got = await s.moves(await head(on_b))
                assert got == await ledger(on_b)
                assert await stock(on_a) == await stock(on_b) == apply_moves({}, got)


async def test_a_second_server_hears_of_the_first_ones_moves(world: World) -> None:
    """With either broker, a subscriber of B sees moves taken by A without B taking any:
    Redis carries them across processes, and a hub also looks at the ledger's head."""
    a = world.server
    async with (
        another_server(a) as (b, _),
        a.client("admin") as on_a,
        open_stream(b, b.tokens["admin"]) as sub_b,
    ):
        await sub_b.snapshot()
        for _ in range(3):
            await applied_seqs(on_a, [receive(), receive(location="B1")])
        got = await sub_b.moves(6)
        assert seqs(got) == [1, 2, 3, 4, 5, 6]
        assert got == await ledger(on_a)
        await sub_b.quiet(0.3)
