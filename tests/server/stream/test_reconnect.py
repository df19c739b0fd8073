"""A subscriber that disconnects and comes back with ``since=<last seq>`` misses nothing and
sees nothing twice."""

from __future__ import annotations

import asyncio
from typing import Any

from server.stream.hub import StockHub
from tests.conftest import World
from tests.server.stream.live import (
    another_server,
    applied_seqs,
    head,
    ledger,
    open_stream,
    post,
    receive,
    seqs,
    subscribers_settle,
)


async def test_reconnect_gets_exactly_what_it_missed(world: World) -> None:
    srv = world.server
    hub: StockHub = srv.app.state.jxc.hub
    async with srv.client("admin") as c:
        async with open_stream(srv, srv.tokens["admin"]) as s:
            assert (await s.snapshot())[0] == 0
            await applied_seqs(c, [receive(), receive(location="B1")])
            first = await s.moves(2)
        last = first[-1]["seq"]

        await subscribers_settle(hub, 0)
        await applied_seqs(c, [receive(location="A2")])
        await post(c, receive(location="B1"))
        await applied_seqs(c, [receive(), receive()])
        async with open_stream(srv, srv.tokens["admin"], since=last) as s:
            missed = await s.moves(4)
            assert seqs(missed) == [3, 4, 5, 6]
            await s.quiet(0.2)
            await post(c, receive())
            (live,) = await s.moves(1)
        assert first + missed + [live] == await ledger(c)


async def test_reconnecting_again_and_again_while_scans_commit(world: World) -> None:
    """Each connection reads a few moves and drops; stitched together they are the ledger."""
    srv = world.server
    total = 120
    async with srv.client("admin") as c:

        async def scans() -> None:
            for i in range(total // 4):
                await applied_seqs(c, [receive(location=("A1", "B1")[i % 2]) for _ in range(4)])
                await asyncio.sleep(0.005)

        writer = asyncio.create_task(scans())
        seen: list[dict[str, Any]] = []
        connections = 0
        while not seen or seen[-1]["seq"] < total:
            since = seen[-1]["seq"] if seen else 0
            connections += 1
            async with open_stream(srv, srv.tokens["admin"], since=since) as s:
                for _ in range(7):
                    seen += await s.moves(1, timeout=30)
                    if seen[-1]["seq"] == total:
                        break
        await asyncio.wait_for(writer, 60)
        assert connections > 5
        assert seqs(seen) == list(range(1, total + 1))
        assert seen == await ledger(c)


async def test_reconnect_to_another_server(world: World) -> None:
    """``since`` is a position in the shared ledger: any server can resume it."""
    a = world.server
    async with a.client("admin") as c:
        async with open_stream(a, a.tokens["admin"]) as s:
            await s.snapshot()
            await applied_seqs(c, [receive(), receive()])
            first = await s.moves(2)
        await applied_seqs(c, [receive(location="B1"), receive()])
        async with another_server(a) as (b, _):
            hub_b: StockHub = b.app.state.jxc.hub
            assert hub_b.last_seq == await head(c) == 4  # a new hub starts at the head
            async with (
                b.client("admin") as on_b,
                open_stream(b, b.tokens["admin"], since=first[-1]["seq"]) as s,
            ):
                missed = await s.moves(2)
                await post(on_b, receive())
                (live,) = await s.moves(1)
                await s.quiet(0.2)
        assert first + missed + [live] == await ledger(c)
        assert seqs(first + missed + [live]) == [1, 2, 3, 4, 5]


async def test_client_messages_are_ignored(world: World) -> None:
    """The stream only talks; text or binary sent to it must not break it."""
    srv = world.server
    async with srv.client("admin") as c, open_stream(srv, srv.tokens["admin"]) as s:
        await s.snapshot()
        await s.ws.send("hello")
        await s.ws.send(b"\x00\x01binary")
        await post(c, receive())
        (m,) = await s.moves(1)
        assert m["seq"] == 1
        await s.ws.send(b"again")
        await post(c, receive())
        assert seqs(await s.moves(1)) == [2]
