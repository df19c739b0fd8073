"""An RFID portal (an LLRP reader at a dock door) as a device: tag reads are folded into
passes (``hardware.rfid.PassTracker``) and each closed pass becomes one read per product,
``01`` + GTIN-14 with the count of distinct tags as the quantity, so a pallet of 48 tagged
cases through the door is one receipt line of 48, not thousands of tag sightings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Protocol

from hardware.aio import closing
from hardware.link import Health
from hardware.reads import Decoded
from hardware.rfid import Pass, PassTracker, TagRead

log = logging.getLogger("jxc.agent.rfid")
MAX_LISTED_UNKNOWN = 100  # unknown EPCs listed on a pass's reads (all are counted)


class TagReader(Protocol):
    """What the portal needs from an LLRP client (``hardware.llrp.LLRPSource``): tag reads
    until closed, reconnecting on its own, and the link's health."""

    health: Health

    def reads(self) -> AsyncIterator[TagRead]: ...

    async def close(self) -> None: ...


def pass_reads(p: Pass, pass_id: str | None = None) -> list[Decoded]:
    """One read per receipt line of a closed pass; the pass id is the reads' reference,
    so the server's ledger shows which lines came through the door together."""
    pass_id = pass_id or uuid.uuid4().hex[:16]
    unknown = p.unknown
    if unknown:
        log.warning("pass %s on %s: %d tags are not SGTINs", pass_id, p.reader, len(unknown))
    if not p.complete:
        log.error(
            "pass %s on %s is incomplete: %d reads refused", pass_id, p.reader, p.dropped_reads
        )
    out = []
    for line in p.receipt():
        code = "01" + line.gtin
        out.append(
            Decoded(
                text=code,
                raw=code.encode("ascii"),
                symbology="RFID SGTIN",
                qty=Decimal(line.qty),
                reference=f"rfid pass {pass_id}",
                extra={
                    "pass_id": pass_id,
                    "reader": p.reader,
                    "epcs": list(line.epcs),
                    "antennas": sorted({t.antenna for t in p.tags if t.epc_hex in line.epcs}),
                    "seen_count": sum(t.seen_count for t in p.tags if t.epc_hex in line.epcs),
                    "complete": p.complete,
                    "unknown_epcs": list(unknown[:MAX_LISTED_UNKNOWN]),
                    "unknown_count": len(unknown),
                },
            )
        )
    return out


class RfidPassSource:
    """Reads tags from ``reader`` into ``tracker`` and yields the reads of each pass once it
    closed (no tag for the tracker's idle gap). ``clock`` must be the reader's (monotonic).
    ``flush()`` hands over the passes still open, for a clean shutdown."""

    kind = "llrp"

    def __init__(
        self,
        reader: TagReader,
        tracker: PassTracker,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll_every: float = 0.25,
    ) -> None:
        self.reader, self.tracker, self.clock, self.poll_every = reader, tracker, clock, poll_every
        self.health = reader.health

    async def _pump(self) -> None:
        tags = self.reader.reads()
        async with closing(tags):
            async for tag in tags:
                self.tracker.add(tag)

    async def reads(self) -> AsyncIterator[Decoded]:
        pump = asyncio.create_task(self._pump())
        try:
            while True:
                await asyncio.sleep(self.poll_every)
                for closed in self.tracker.poll(self.clock()):
                    for read in pass_reads(closed):
                        yield read
                if pump.done():  # the reader was closed (or failed past recovery)
                    pump.result()
                    for read in self.flush():
                        yield read
                    return
        finally:
            await self.reader.close()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    def flush(self) -> list[Decoded]:
        return [read for p in self.tracker.flush() for read in pass_reads(p)]
