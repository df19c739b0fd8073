"""What a stock subscriber sees first: a consistent snapshot, or the moves it missed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server import errors
from server.auth.principal import Principal
from server.catalog.repository import CatalogRepository
from server.db import Database
from server.kit.quantity import qty_json
from server.ledger.messages import move_message
from server.ledger.repository import LedgerRepository
from server.settings import Settings
from server.stream.hub import StockHub, Subscription

Send = Callable[[dict[str, Any]], Awaitable[None]]
SNAPSHOT_CHUNK = 1_000


class StreamService:
    def __init__(self, db: Database, hub: StockHub, settings: Settings) -> None:
        self.db = db
        self.hub = hub
        self.settings = settings

    async def warehouse_filter(self, who: Principal, code: str | None) -> str | None:
        """The warehouse code to filter on; users bound to one warehouse get theirs."""
        async with self.db.session() as session:
            repo = CatalogRepository(session)
            if code is None:
                if who.warehouse_id is None:
                    return None
                own = await repo.warehouse_by_id(who.warehouse_id)
                return own.code if own else None
            wh = await repo.warehouse(code)
        if wh is None or wh.id is None:
            raise errors.NotFound(f"No warehouse {code}.")
        who.check_warehouse(wh.id, wh.code)
        return wh.code

    async def catch_up(
        self, sub: Subscription, warehouse: str | None, since: int | None, send: Send
    ) -> int:
        """Send what precedes the live stream; returns the last ``seq`` sent.

        ``sub`` is already buffering live moves, so nothing that commits meanwhile is lost;
        the caller skips live moves at or below the returned seq.

        A ``since`` beyond the ledger's head (a client that remembers another or a restored
        database) gets a snapshot: replaying "nothing" would make it skip every move up to
        its stale seq.
        """
        if since is not None:
            head = await self._head()
            if since <= head and head - since <= self.settings.stream_catchup_max:
                return await self._replay(warehouse, since, send)
        return await self._snapshot(warehouse, send)

    async def _head(self) -> int:
        async with self.db.session() as session:
            return await LedgerRepository(session).head()

    async def _warehouse_ids(self, repo: LedgerRepository, code: str | None) -> list[int] | None:
        if code is None:
            return None
        wh = await CatalogRepository(repo.session).warehouse(code)
        return [wh.id] if wh and wh.id is not None else []

    async def _replay(self, warehouse: str | None, since: int, send: Send) -> int:
        last = since
        async with self.db.session() as session:
            repo = LedgerRepository(session)
            ids = await self._warehouse_ids(repo, warehouse)
            head = await repo.head()
            while last < head:
                rows = await repo.moves_since(last, 1_000, ids, until=head)
                for row in rows:
                    await send(move_message(row._mapping))
                if not rows:
                    break
                last = rows[-1].seq
        return max(last, head)

    async def _snapshot(self, warehouse: str | None, send: Send) -> int:
        async with self.db.session(snapshot=True) as session:
            repo = LedgerRepository(session)
            head = await repo.head()  # read in the same snapshot as the quants
            ids = await self._warehouse_ids(repo, warehouse)
            rows = await repo.stock(warehouse_ids=ids, limit=10_000_000)
        stock = [
            {
                "sku": r.sku,
                "location": r.location,
                "warehouse": r.warehouse,
                "lot": r.lot,
                "qty": qty_json(r.qty),
            }
            for r in rows
        ]
        chunks = [stock[i : i + SNAPSHOT_CHUNK] for i in range(0, len(stock), SNAPSHOT_CHUNK)]
        for i, chunk in enumerate(chunks or [[]]):
            await send(
                {
                    "type": "snapshot",
                    "seq": head,
                    "warehouse": warehouse,
                    "stock": chunk,
                    "part": i,
                    "last": i == max(len(chunks) - 1, 0),
                }
            )
        return head
