"""Publish/subscribe between server processes, chosen by URL.

``memory://`` fans out inside one process; ``redis://…`` uses Redis pub/sub so every
process sees every other's moves. Pub/sub may drop a message (a restart, a slow
consumer): that is fine, because subscribers recover gaps from the ledger by ``seq``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

log = logging.getLogger(__name__)
Handler = Callable[[bytes], Awaitable[None]]


class Broker(ABC):
    @abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    @abstractmethod
    async def subscribe(self, channel: str, handler: Handler) -> None:
        """Call ``handler`` for each message on ``channel`` until ``close``."""

    async def ping(self) -> None:
        return None

    @abstractmethod
    async def close(self) -> None: ...


class MemoryBroker(Broker):
    """In-process: a bounded queue and one delivery task per subscription."""

    def __init__(self, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self._subs: dict[str, list[asyncio.Queue[bytes]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def publish(self, channel: str, data: bytes) -> None:
        for queue in self._subs.get(channel, []):
            with contextlib.suppress(asyncio.QueueFull):  # the subscriber recovers the gap
                queue.put_nowait(data)

    async def subscribe(self, channel: str, handler: Handler) -> None:
        queue: asyncio.Queue[bytes] = asyncio.Queue(self.queue_size)
        self._subs.setdefault(channel, []).append(queue)

        async def deliver() -> None:
            while True:
                data = await queue.get()
                try:
                    await handler(data)
                except Exception:
                    log.exception("broker handler failed")

        self._tasks.append(asyncio.create_task(deliver(), name=f"jxc-broker-{channel}"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._subs.clear()


class RedisBroker(Broker):
    def __init__(self, url: str) -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(url)
        self._tasks: list[asyncio.Task[None]] = []

    async def publish(self, channel: str, data: bytes) -> None:
        await self.client.publish(channel, data)

    async def subscribe(self, channel: str, handler: Handler) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)

        async def listen() -> None:
            try:
                while True:
                    try:
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                try:
                                    await handler(message["data"])
                                except Exception:
                                    log.exception("broker handler failed")
                    except (aioredis.ConnectionError, OSError):
                        log.warning("redis subscription lost; resubscribing")
                        await asyncio.sleep(0.5)
                        with contextlib.suppress(Exception):
                            await pubsub.subscribe(channel)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

        self._tasks.append(asyncio.create_task(listen(), name=f"jxc-redis-{channel}"))

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.client.aclose()


def broker_from_url(url: str) -> Broker:
    if url.startswith("memory://"):
        return MemoryBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(url)
    raise ValueError(f"JXC_BROKER_URL must be memory:// or redis://…, not {url!r}")
