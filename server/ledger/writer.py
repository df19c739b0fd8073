"""Group commit: every scan in the process goes through one writer task.

Scans that arrive while a batch is being committed wait in a bounded queue and go into
the next batch together: one transaction, one fsync, many scans. The batch itself runs on
one dedicated thread with a synchronous connection (see ``server/db.py``), so the event loop
keeps serving requests meanwhile. Results are handed back only after the commit (acked
means durable); moves are published to the broker after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

from server import errors
from server.db import Database
from server.ledger.repository import LedgerWriteRepository
from server.ledger.service import BatchOutcome, LedgerService, PendingScan
from server.scans.schemas import ScanResult

log = logging.getLogger(__name__)
Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]


@dataclass(slots=True)
class _Job:
    item: PendingScan
    future: asyncio.Future[ScanResult]


class ScanWriter:
    def __init__(
        self,
        db: Database,
        publish: Publish,
        *,
        max_qty: int,
        max_batch: int = 500,
        queue_size: int = 10_000,
    ) -> None:
        self.db = db
        self.publish = publish
        self.max_qty = max_qty
        self.max_batch = max_batch
        self.queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="jxc-ledger-writer")
        self.batches = 0
        self.scans = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="jxc-scan-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._thread.shutdown(wait=True)
        while not self.queue.empty():
            job = self.queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(errors.Unavailable("The server is shutting down."))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def submit(self, item: PendingScan) -> asyncio.Future[ScanResult]:
        """Queue one scan; the future resolves once its batch has committed."""
        if not self.running:
            raise errors.Unavailable("The scan writer is not running.")
        future: asyncio.Future[ScanResult] = asyncio.get_running_loop().create_future()
        await self.queue.put(_Job(item, future))
        return future

    async def apply(self, items: Sequence[PendingScan]) -> list[ScanResult]:
        futures = [await self.submit(i) for i in items]
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        while True:
            jobs = [await self.queue.get()]
            while len(jobs) < self.max_batch and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            jobs = [j for j in jobs if not j.future.cancelled()]
            if jobs:
                await self._process(jobs)

    async def _process(self, jobs: list[_Job]) -> None:
        try:
            outcome = await self._commit([j.item for j in jobs])
        except Exception as exc:
            if len(jobs) > 1 and not isinstance(exc, DBAPIError):
                # An unexpected error: isolate it, so one bad scan fails alone.
                log.exception("batch of %d failed; applying its scans one by one", len(jobs))
                for job in jobs:
                    await self._process([job])
                return
            log.exception("scan batch failed")
            err = errors.Unavailable("The stock ledger could not be written; retry the scan.")
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(err)
            return
        self.batches += 1
        self.scans += len(jobs)
        for job, result in zip(jobs, outcome.results, strict=True):
            if not job.future.done():
                job.future.set_result(result)
        if outcome.messages:
            try:
                await self.publish(outcome.messages)
            except Exception:  # subscribers recover the gap from the ledger
                log.exception("publishing %d moves failed", len(outcome.messages))

    async def _commit(self, items: list[PendingScan]) -> BatchOutcome:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._commit_sync, items)

    def _commit_sync(self, items: list[PendingScan]) -> BatchOutcome:
        for attempt in range(3):
            try:
                with self.db.write_connection() as conn:
                    service = LedgerService(LedgerWriteRepository(conn), max_qty=self.max_qty)
                    return service.apply_batch(items)
            except DBAPIError as exc:
                # Serialisation failures or a dropped connection: the batch rolled back whole.
                if attempt == 2 or not _retryable(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")


def _retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(
        s in text for s in ("deadlock", "serializ", "database is locked", "unique")
    )
