"""Submitting scans to the writer on behalf of a caller, keeping the caller's order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from server.auth.principal import Principal
from server.ledger.service import PendingScan
from server.ledger.writer import ScanWriter
from server.scans.parse import validate
from server.scans.schemas import ScanIn, ScanResult


async def submit_items(
    writer: ScanWriter, items: Sequence[Any], who: Principal
) -> list[asyncio.Future[ScanResult]]:
    """Queue each valid item; invalid ones get an already-resolved rejection."""
    futures: list[asyncio.Future[ScanResult]] = []
    loop = asyncio.get_running_loop()
    for item in items:
        parsed = validate(item)
        if isinstance(parsed, ScanIn):
            futures.append(await writer.submit(PendingScan(parsed, who)))
        else:
            done: asyncio.Future[ScanResult] = loop.create_future()
            done.set_result(parsed)
            futures.append(done)
    return futures


async def apply_items(writer: ScanWriter, items: Sequence[Any], who: Principal) -> list[ScanResult]:
    return list(await asyncio.gather(*await submit_items(writer, items, who)))
