"""Caps: a document line's limit on what its postings move in all, checked in the writer's
transaction. Two writers (as two server processes would have) race on one line; replays and
rejections count nothing; a refused scan leaves nothing behind."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from server.db import Database
from server.ledger.repository import LedgerRepository
from server.ledger.service import Cap, PendingScan
from server.ledger.writer import ScanWriter
from server.models import Lot, StockMove
from server.scans.schemas import ScanIn
from server.settings import Settings
from tests.server.ledger.test_invariants import ADMIN, _seed


async def _nothing(_: list[dict[str, Any]]) -> None:
    return None


def _receipt(cap: Cap, qty: int = 1, **fields: Any) -> PendingScan:
    scan = ScanIn(
        event_id=uuid.uuid4(),
        type="receive",
        code=fields.pop("code", "PA"),
        qty=Decimal(qty),
        location="P1",
        reference="PO-TEST",
        **fields,
    )
    return PendingScan(scan, ADMIN, caps=(cap,))


async def _writers(settings: Settings, n: int) -> list[ScanWriter]:
    writers = [
        ScanWriter(Database(settings.database_url), _nothing, max_qty=1000) for _ in range(n)
    ]
    for w in writers:
        await w.start()
    return writers


async def _stop(writers: list[ScanWriter]) -> None:
    for w in writers:
        await w.stop()
        await w.db.dispose()


async def test_two_writers_racing_on_one_line_post_exactly_the_limit(
    db: Database, settings: Settings
) -> None:
    await _seed(db)
    cap = Cap("PO-TEST:1", Decimal(10), label="PO-TEST line 1")
    writers = await _writers(settings, 2)
    try:
        items = [_receipt(cap) for _ in range(30)]
        futures = [await writers[i % 2].submit(item) for i, item in enumerate(items)]
        results = await asyncio.gather(*futures)
    finally:
        await _stop(writers)
    applied = [r for r in results if r.status == "applied"]
    refused = [r for r in results if r.status == "rejected"]
    assert len(applied) == 10 and len(refused) == 20
    assert {r.error.code for r in refused if r.error} == {"over_receipt"}
    assert refused[0].error is not None and "PO-TEST line 1" in refused[0].error.message
    async with db.session() as session:
        assert await LedgerRepository(session).cap_usage([cap.key]) == {cap.key: Decimal(10)}
        moved = await session.scalar(
            select(func.sum(StockMove.qty)).where(StockMove.reference == "PO-TEST")
        )
    assert moved == Decimal(10)


async def test_one_batch_counts_its_own_scans_and_replays_count_nothing(
    db: Database, settings: Settings
) -> None:
    await _seed(db)
    cap = Cap("PO-TEST:2", Decimal(5))
    first, second, third = _receipt(cap, 3), _receipt(cap, 2), _receipt(cap, 1)
    (writer,) = await _writers(settings, 1)
    try:
        results = await writer.apply([first, second, third])  # one batch
        replay = await writer.apply([first])
        raised = Cap("PO-TEST:2", Decimal(6))  # the line was raised by one
        retry = await writer.apply([PendingScan(third.scan, ADMIN, caps=(raised,))])
    finally:
        await _stop(writers=[writer])
    assert [r.status for r in results] == ["applied", "applied", "rejected"]
    assert results[2].error is not None and results[2].error.code == "over_receipt"
    assert replay[0].status == "duplicate"
    assert retry[0].status == "applied"  # a refused scan left no record: it may succeed later
    async with db.session() as session:
        assert await LedgerRepository(session).cap_usage([cap.key]) == {cap.key: Decimal(6)}


async def test_a_refused_scan_leaves_no_new_lot_and_other_rejections_count_nothing(
    db: Database, settings: Settings
) -> None:
    await _seed(db)
    cap = Cap("PO-TEST:3", Decimal(2))
    (writer,) = await _writers(settings, 1)
    try:
        over = await writer.apply([_receipt(cap, 3, code="PB", lot="NEW-LOT")])
        no_lot = await writer.apply([_receipt(cap, 1, code="PB")])  # lot_required
    finally:
        await _stop(writers=[writer])
    assert over[0].error is not None and over[0].error.code == "over_receipt"
    assert no_lot[0].error is not None and no_lot[0].error.code == "lot_required"
    async with db.session() as session:
        assert await LedgerRepository(session).cap_usage([cap.key]) == {}
        assert await session.scalar(select(func.count()).select_from(Lot)) == 0
