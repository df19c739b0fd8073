"""Fan-out of committed moves to this process's subscribers, in ``seq`` order, gap-free.

The hub receives batches of moves from the broker (its own process's and every other's).
Anything it has not seen, up to the newest ``seq`` it hears of, it reads from the ledger
before delivering, so a lost or reordered broker message never becomes a gap. Each
subscriber has a bounded queue; one that falls behind is flagged for resync and dropped,
never allowed to grow memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from server.db import Database
from server.ledger.messages import move_message
from server.ledger.repository import LedgerRepository
from server.stream.broker import Broker

log = logging.getLogger(__name__)


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
        getter = asyncio.ensure_future(self.queue.get())
        waiter = asyncio.ensure_future(self.overflowed.wait())
        done, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if getter in done:
            return getter.result()
        getter.cancel()
        return None


class StockHub:
    def __init__(
        self, db: Database, broker: Broker, channel: str, *, queue_size: int = 2_000
    ) -> None:
        self.db = db
        self.broker = broker
        self.channel = channel
        self.queue_size = queue_size
        self.last_seq = 0
        self._subs: set[Subscription] = set()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self.db.session() as session:
            self.last_seq = await LedgerRepository(session).head()
        await self.broker.subscribe(self.channel, self._on_message)

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        """Called by the scan writer after its commit."""
        await self.broker.publish(self.channel, orjson.dumps(messages))

    def subscribe(self, warehouse: str | None) -> Subscription:
        sub = Subscription(warehouse, self.queue_size)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    async def _on_message(self, data: bytes) -> None:
        messages = orjson.loads(data)
        if messages:
            await self.deliver_until(max(m["seq"] for m in messages), messages)

    async def deliver_until(self, seq: int, known: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        async with self._lock:
            if seq <= self.last_seq:
                return
            by_seq = {m["seq"]: m for m in known if m["seq"] > self.last_seq}
            if len(by_seq) != seq - self.last_seq:
                by_seq.update(await self._read_gap(seq, by_seq))
            for s in sorted(by_seq):
                self._fan_out(by_seq[s])
            self.last_seq = seq

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
        for sub in list(self._subs):
            if sub.warehouse is None or sub.warehouse == message["warehouse"]:
                sub.offer(message)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.broker.close()
