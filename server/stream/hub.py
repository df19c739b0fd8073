"""Fan-out of committed moves to this process's subscribers, in ``seq`` order, gap-free.

The hub receives batches of moves from the broker (its own process's and every other's).
Anything it has not seen, up to the newest ``seq`` it hears of, it reads from the ledger
before delivering, so a lost or reordered broker message never becomes a gap; a periodic
look at the ledger's head finds moves that no message announced (a lost last message).
Each subscriber has a bounded queue; one that falls behind is flagged for resync and
dropped, never allowed to grow memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import orjson

from server.db import Database
from server.ledger.messages import move_message
from server.ledger.repository import LedgerRepository
from server.stream.broker import Broker

log = logging.getLogger(__name__)


class Frame(dict[str, Any]):
    """A move message that carries its JSON text, encoded once for every subscriber."""

    __slots__ = ("text",)

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(message)
        self.text = orjson.dumps(message).decode()


class Subscription:
    def __init__(self, warehouse: str | None, size: int) -> None:
        self.warehouse = warehouse
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(size)
        self.overflowed = asyncio.Event()

    def offer(self, message: dict[str, Any]) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed.set()

    async def next(self) -> dict[str, Any] | None:
        """The next move, or None when this subscriber fell behind and must resync."""
        if self.overflowed.is_set():
            return None
        if not self.queue.empty():  # the common case under load: no tasks to make
            return self.queue.get_nowait()
        getter = asyncio.ensure_future(self.queue.get())
        waiter = asyncio.ensure_future(self.overflowed.wait())
        try:
            await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when the subscriber goes away: leave no task behind on the queue
            waiter.cancel()
            getter.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        return None


class StockHub:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        channel: str,
        *,
        queue_size: int = 2_000,
        poll_interval: float | None = 1.0,
        events_channel: str | None = None,
    ) -> None:
        """``poll_interval``: how often (seconds) to look at the ledger's head for moves no
        broker message announced (a lost last message, or another process on ``memory://``);
        None never looks."""
        self.db = db
        self.broker = broker
        self.channel = channel
        self.events_channel = events_channel
        self.queue_size = queue_size
        self.poll_interval = poll_interval
        self.last_seq = 0
        self._subs: set[Subscription] = set()
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Subscribe first, then read the head, both under the lock: a move committed in
        # between is then either at or below the head, or heard from the broker afterwards.
        async with self._lock:
            await self.broker.subscribe(self.channel, self._on_message)
            if self.events_channel is not None:
                await self.broker.subscribe(self.events_channel, self._on_events)
            self.last_seq = await self._head()
        if self.poll_interval is not None:
            self._poller = asyncio.create_task(self._poll(self.poll_interval), name="jxc-hub-poll")

    async def _head(self) -> int:
        async with self.db.session() as session:
            return await LedgerRepository(session).head()

    async def _poll(self, interval: float) -> None:
        """Pub/sub can lose the last message of a burst, and then no later one reveals the
        gap: a cheap look at the head now and then bounds how long a move can stay unseen."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.deliver_until(await self._head())
            except Exception as exc:  # the database is away: try again next time
                log.warning("polling the ledger head failed: %s", exc)

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called by the scan writer after its commit."""
        await self.broker.publish(self.channel, orjson.dumps(messages))

    async def publish_events(self, messages: list[dict[str, Any]]) -> None:
        """Events that are not moves (``type: alert``, a document's progress or status, …;
        each with its ``warehouse`` code, no seq): separate from moves, never gap-filled; a
        subscriber that missed one reads the document or ``GET /api/alerts``. Publish after
        the commit that made them true."""
        if self.events_channel is not None:
            await self.broker.publish(self.events_channel, orjson.dumps(messages))

    async def _on_events(self, data: bytes) -> None:
        for message in orjson.loads(data):
            self._fan_out(message)

    def subscribe(self, warehouse: str | None) -> Subscription:
        sub = Subscription(warehouse, self.queue_size)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

    async def _on_message(self, data: bytes) -> None:
        messages = orjson.loads(data)
        if messages:
            await self.deliver_until(max(m["seq"] for m in messages), messages)

    async def deliver_until(self, seq: int, known: Sequence[dict[str, Any]] = ()) -> None:
        """Fan out every move up to ``seq``: those in ``known``, the rest from the ledger."""
        async with self._lock:
            if seq <= self.last_seq:
                return
            by_seq = {m["seq"]: m for m in known if self.last_seq < m["seq"] <= seq}
            if len(by_seq) != seq - self.last_seq:
                by_seq.update(await self._read_gap(seq, by_seq))
            # Only an unbroken run: a seq the ledger does not show (yet) is never skipped,
            # the next message retries it.
            while (nxt := self.last_seq + 1) <= seq and nxt in by_seq:
                self._fan_out(by_seq[nxt])
                self.last_seq = nxt
            if self.last_seq < seq:
                log.warning("moves %d..%d are not in the ledger yet", self.last_seq + 1, seq)

    async def _read_gap(self, until: int, have: dict[int, Any]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        since = self.last_seq
        async with self.db.session() as session:
            repo = LedgerRepository(session)
            while since < until:
                rows = await repo.moves_since(since, 1000, until=until)
                if not rows:
                    break
                for row in rows:
                    if row.seq not in have:
                        found[row.seq] = move_message(row._mapping)
                since = rows[-1].seq
        return found

    def _fan_out(self, message: dict[str, Any]) -> None:
        frame: Frame | None = None
        for sub in list(self._subs):
            if sub.warehouse is None or sub.warehouse == message["warehouse"]:
                frame = frame or Frame(message)
                sub.offer(frame)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        with contextlib.suppress(Exception):
            await self.broker.close()
