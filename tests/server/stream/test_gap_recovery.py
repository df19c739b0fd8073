"""The broker may lose or reorder messages; the hub fills every gap from the ledger, so
subscribers still see each ``seq`` once, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.settings import Settings
from server.stream.hub import StockHub
from tests.backends import REDIS_URL
from tests.conftest import World
from tests.server.stream.live import (
    applied_seqs,
    hubs_without_polling,
    ledger,
    open_stream,
    receive,
    seqs,
)

Messages = list[dict[str, Any]]


class TestBrokerMessagesOnly:
    """Hubs that do not poll the ledger's head: recovery is triggered by later messages."""

    @pytest.fixture
    def settings(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
        hubs_without_polling(monkeypatch)
        return settings

    async def test_lost_and_partial_broker_messages(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        state = world.server.app.state.jxc
        hub: StockHub = state.hub
        assert hub.poll_interval is None
        keep: list[str] = []  # per batch: "none", "last", "ends" or "all"

        async def lossy(messages: Messages) -> None:
            what = keep.pop(0)
            if what == "last":
                messages = messages[-1:]
            elif what == "ends":
                messages = [messages[0], messages[-1]]
            elif what == "none":
                return
            await hub.publish(messages)

        monkeypatch.setattr(state.writer, "publish", lossy)
        async with (
            world.server.client("admin") as c,
            open_stream(world.server, world.server.tokens["admin"]) as everything,
            open_stream(world.server, world.server.tokens["admin"], warehouse="WH2") as wh2,
        ):
            assert (await everything.snapshot())[0] == 0
            assert (await wh2.snapshot())[0] == 0

            keep += ["none", "none"]
            await applied_seqs(c, [receive()])
            await applied_seqs(c, [receive(location="B1")])
            await everything.quiet(0.3)  # lost: nobody hears of seqs 1 and 2 yet

            keep.append("last")
            assert await applied_seqs(c, [receive(), receive(location="B1"), receive()]) == [
                3,
                4,
                5,
            ]
            got = await everything.moves(5)
            assert seqs(got) == [1, 2, 3, 4, 5]
            assert seqs(await wh2.moves(2)) == [2, 4]

            keep.append("ends")
            assert await applied_seqs(
                c, [receive(location=loc) for loc in ["A1", "B1", "A2", "B1"]]
            ) == [
                6,
                7,
                8,
                9,
            ]
            got += await everything.moves(4)
            assert seqs(await wh2.moves(2)) == [7, 9]

            keep.append("none")
            await applied_seqs(c, [receive(location="B1")])
            await everything.quiet(0.3)
            await hub.deliver_until(10)  # what a later message would trigger
            got += await everything.moves(1)
            assert seqs(await wh2.moves(1)) == [10]

            keep.append("all")
            await applied_seqs(c, [receive()])
            got += await everything.moves(1)

            assert seqs(got) == list(range(1, 12))
            assert got == await ledger(c)  # recovered moves look exactly like published ones
            await everything.quiet(0.2)
            await wh2.quiet(0.2)
            assert hub.last_seq == 11

    async def test_reordered_broker_messages(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Batch 2's message overtakes batch 1's: both arrive once, in seq order."""
        state = world.server.app.state.jxc
        hub: StockHub = state.hub
        held: list[Messages] = []

        async def hold_first(messages: Messages) -> None:
            if not held:
                held.append(messages)
                return
            await hub.publish(messages)
            await hub.publish(held.pop())

        monkeypatch.setattr(state.writer, "publish", hold_first)
        async with (
            world.server.client("admin") as c,
            open_stream(world.server, world.server.tokens["admin"]) as s,
        ):
            await s.snapshot()
            await applied_seqs(c, [receive(), receive()])
            await s.quiet(0.3)
            await applied_seqs(c, [receive(), receive()])
            got = await s.moves(4)
            assert seqs(got) == [1, 2, 3, 4]
            assert got == await ledger(c)
            await s.quiet(0.3)


async def test_a_seq_beyond_the_ledger_skips_nothing(world: World) -> None:
    """Hearing of a seq that is not committed (yet) must not make the hub skip it."""
    hub: StockHub = world.server.app.state.jxc.hub
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()
        await applied_seqs(c, [receive()])
        assert seqs(await s.moves(1)) == [1]
        await hub.deliver_until(5)
        await s.quiet(0.2)
        assert hub.last_seq == 1
        await applied_seqs(c, [receive(), receive()])
        assert seqs(await s.moves(2)) == [2, 3]
        assert hub.last_seq == 3


async def test_stale_and_repeated_broker_messages_are_ignored(world: World) -> None:
    hub: StockHub = world.server.app.state.jxc.hub
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()
        await applied_seqs(c, [receive(), receive()])
        got = await s.moves(2)
        await hub.publish(got)  # a replayed broker message
        await hub.publish(got[:1])
        await hub.deliver_until(1)
        await s.quiet(0.3)
        await applied_seqs(c, [receive()])
        assert seqs(await s.moves(1)) == [3]


async def test_concurrent_gap_fills_deliver_each_seq_once(world: World) -> None:
    """Several broker messages racing to fill the same gap (the hub's lock serialises them)."""
    state = world.server.app.state.jxc
    hub: StockHub = state.hub
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()
        dropped: list[Messages] = []

        async def drop(messages: Messages) -> None:
            dropped.append(messages)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(state.writer, "publish", drop)
            await applied_seqs(c, [receive() for _ in range(30)])
        await asyncio.gather(*(hub.deliver_until(n) for n in (30, 10, 20, 30, 5, 25)))
        got = await s.moves(30)
        assert seqs(got) == list(range(1, 31))
        await s.quiet(0.3)


async def test_a_lost_last_message_is_found_by_polling(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No later move reveals the gap: the hub's look at the ledger's head finds it."""
    state = world.server.app.state.jxc
    hub: StockHub = state.hub
    assert hub.poll_interval is not None and hub.poll_interval <= 2
    async with (
        world.server.client("admin") as c,
        open_stream(world.server, world.server.tokens["admin"]) as s,
    ):
        await s.snapshot()
        await applied_seqs(c, [receive()])
        assert seqs(await s.moves(1)) == [1]

        async def lose(messages: Messages) -> None:
            return None

        monkeypatch.setattr(state.writer, "publish", lose)
        await applied_seqs(c, [receive(), receive(location="B1")])
        got = await s.moves(2, timeout=3 * hub.poll_interval)
        assert seqs(got) == [2, 3]
        assert got == (await ledger(c))[1:]


class TestRedisSubscriptionLost:
    """Redis drops the hub's subscriber connection: the hub subscribes again, and the moves
    published while it was away are filled in from the ledger."""

    @pytest.fixture
    def broker_kind(self) -> str:
        return "redis"

    @pytest.fixture
    def settings(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
        hubs_without_polling(monkeypatch)  # recovery must come from the resubscription
        return settings

    async def test_hub_resubscribes(self, world: World) -> None:
        async with (
            world.server.client("admin") as c,
            open_stream(world.server, world.server.tokens["admin"]) as s,
        ):
            await s.snapshot()
            await applied_seqs(c, [receive()])
            assert seqs(await s.moves(1)) == [1]
            killer = aioredis.Redis.from_url(REDIS_URL)
            try:
                assert await killer.client_kill_filter(_type="pubsub") >= 1
            finally:
                await killer.aclose()
            got: list[dict[str, Any]] = []
            for _ in range(50):  # keep scanning until the hub hears again (bounded)
                await applied_seqs(c, [receive()])
                try:
                    got.append(await s.recv(timeout=0.2))
                    break
                except TimeoutError:
                    continue
            assert got, "the hub never heard from Redis again"
            top = (await ledger(c))[-1]["seq"]
            got += await s.moves(top - got[-1]["seq"]) if got[-1]["seq"] < top else []
            assert seqs(got) == list(range(2, top + 1))  # including those it did not hear
