"""A subscriber that stops reading is resynced (close 4000) instead of growing server memory;
reconnecting with ``since=<last seq it saw>`` gives it exactly what it missed."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed

from server.settings import Settings
from server.stream.hub import StockHub
from tests.conftest import RunningServer, World
from tests.server.stream.live import (
    Stream,
    another_server,
    applied_seqs,
    ledger,
    open_stream,
    post,
    receive,
    seqs,
    subscribers_settle,
)

QUEUE = 64
BATCH = 20  # a batch fans out at once: it must fit a subscriber's queue
MOVES = 2_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"stream_queue": QUEUE})


@asynccontextmanager
async def stalled_stream(server: RunningServer, **params: Any) -> AsyncIterator[Stream]:
    """A subscriber with tiny socket buffers, whose client library stops reading the
    socket as soon as one message waits: it falls behind as soon as the test stops reading."""
    host = urlsplit(server.ws_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.wait_for(
        asyncio.get_running_loop().sock_connect(sock, (host.hostname, host.port)), 5
    )
    kw = {"sock": sock, "compression": None, "max_queue": 1}
    async with open_stream(server, server.tokens["admin"], connect_kw=kw, **params) as s:
        yield s


async def watch_queues(hub: StockHub, seen: list[tuple[int, int]]) -> None:
    """Record (size, maxsize) of every subscription's queue, as often as the loop allows."""
    while True:
        seen.extend((sub.queue.qsize(), sub.queue.maxsize) for sub in hub.subscriptions)
        await asyncio.sleep(0)


async def produce(server: RunningServer, n: int) -> int:
    async with server.client("admin") as c:
        last = 0
        for _ in range(n // BATCH):
            last = (await applied_seqs(c, [receive() for _ in range(BATCH)]))[-1]
        return last


async def test_stalled_subscriber_is_resynced_and_catches_up(world: World) -> None:
    async with another_server(world.server, send_buffer=4096) as (srv, _):
        await stalled_then_resynced(srv)


async def stalled_then_resynced(srv: RunningServer) -> None:
    hub: StockHub = srv.app.state.jxc.hub
    assert hub.queue_size == QUEUE
    seen: list[tuple[int, int]] = []
    async with stalled_stream(srv) as slow, open_stream(srv, srv.tokens["admin"]) as fast:
        assert (await slow.snapshot())[0] == 0
        assert (await fast.snapshot())[0] == 0
        await subscribers_settle(hub, 2)
        watcher = asyncio.create_task(watch_queues(hub, seen))

        async def keep_reading() -> list[dict[str, Any]]:
            return await fast.moves_until(MOVES, timeout=30)

        reader = asyncio.create_task(keep_reading())
        try:
            assert await asyncio.wait_for(produce(srv, MOVES), 120) == MOVES
            fast_got = await asyncio.wait_for(reader, 60)
        finally:
            watcher.cancel()
        # The slow subscriber's queue filled up and stopped there; nothing grew past it.
        stalled = [sub for sub in hub.subscriptions if sub.overflowed.is_set()]
        assert len(stalled) == 1
        assert seen and all(size <= maxsize == QUEUE for size, maxsize in seen)
        assert max(size for size, _ in seen) == QUEUE
        # The reader that kept up got everything, in order, and was never resynced.
        assert seqs(fast_got) == list(range(1, MOVES + 1))
        await fast.quiet(0.2)

        # The stalled one reads again: what the socket held, then resync, then close 4000.
        got: list[dict[str, Any]] = []
        while (m := await slow.recv())["type"] == "move":
            got.append(m)
        assert m["type"] == "resync"
        assert 0 < len(got) < MOVES
        assert seqs(got) == list(range(1, len(got) + 1))
        assert m["seq"] == got[-1]["seq"]
        with pytest.raises(ConnectionClosed) as closed:
            await slow.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4000
        last = m["seq"]
    await subscribers_settle(hub, 0)

    # Reconnect from the last seq it saw: exactly the rest, then live moves.
    async with srv.client("admin") as c, open_stream(srv, srv.tokens["admin"], since=last) as s:
        rest = await s.moves(MOVES - last, timeout=30)
        assert seqs(rest) == list(range(last + 1, MOVES + 1))
        assert got + rest == await ledger(c)
        await s.quiet(0.2)
        assert (await post(c, receive()))["seq"] == MOVES + 1
        (live,) = await s.moves(1)
        assert live["seq"] == MOVES + 1
