"""An RFID portal as a device: tag reads become passes, each pass one read per product
("01" + GTIN-14, quantity = distinct tags), and the server books them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import tomli_w

from hardware.agent import Agent
from hardware.config import parse_config
from hardware.link import Health
from hardware.portal import RfidPassSource, pass_reads
from hardware.rfid import PassTracker, TagRead
from tests.hardware.helpers import reading, until
from tests.hardware.processes import JxcServer, seed

GTIN_A = "05901234123457"  # EAN_PLAIN as GTIN-14: company prefix 5901234, item 012345
GTIN_B = "15901234123454"  # GTIN_CASE: the same with indicator digit 1
SSCC = "3114257BF4499602D2000000"  # SSCC-96, urn:epc:id:sscc:0614141.1234567890


def sgtin(item: str, serial: int) -> str:
    """An SGTIN-96 EPC of company prefix 5901234 (partition 5: 7 digits + 6)."""
    bits = f"{0x30:08b}{1:03b}{5:03b}{5901234:024b}{int(item):020b}{serial:038b}"
    return f"{int(bits, 2):024X}"


def tag(epc: str, t: float, antenna: int = 1, count: int = 1, reader: str = "door-1") -> TagRead:
    return TagRead(epc, antenna, -55.0, count, t, t, reader)


def test_a_pass_is_one_read_per_product() -> None:
    tracker = PassTracker(idle_gap=2.0)
    a1, a2, a3, b1 = sgtin("012345", 1), sgtin("012345", 2), sgtin("012345", 3), sgtin("112345", 9)
    for read in (
        tag(a1, 0.0), tag(a1, 0.1, antenna=2, count=4), tag(a2, 0.2), tag(a3, 0.3),
        tag(b1, 0.4), tag(SSCC, 0.5), tag(a2, 0.6, count=2),
    ):  # fmt: skip
        tracker.add(read)
    assert tracker.poll(1.0) == []  # not idle long enough
    (closed,) = tracker.poll(2.7)
    reads = pass_reads(closed, pass_id="p1")
    assert [(r.code, r.qty) for r in reads] == [
        ("01" + GTIN_A, Decimal(3)),
        ("01" + GTIN_B, Decimal(1)),
    ]
    a, b = reads
    assert a.extra["epcs"] == sorted([a1, a2, a3])
    assert a.extra["antennas"] == [1, 2]
    assert a.extra["seen_count"] == 1 + 4 + 1 + 1 + 2
    assert (a.extra["unknown_epcs"], a.extra["unknown_count"]) == ([SSCC], 1)
    assert a.reference == b.reference == "rfid pass p1"
    assert a.extra["pass_id"] == "p1" and a.extra["complete"] is True


class FakeReader:
    """An LLRP reader as the portal sees it: tag reads, in the caller's clock."""

    def __init__(self, tags: list[TagRead]) -> None:
        self.health = Health()
        self.tags = tags
        self.closed = asyncio.Event()

    async def reads(self) -> AsyncIterator[TagRead]:
        self.health.up()
        for t in self.tags:
            yield t
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


async def test_the_source_yields_passes_as_they_close() -> None:
    now = [0.0]
    reader = FakeReader([tag(sgtin("012345", i), 0.0) for i in range(4)])
    source = RfidPassSource(
        reader, PassTracker(idle_gap=1.0), clock=lambda: now[0], poll_every=0.01
    )
    assert source.health is reader.health
    async with reading(source) as reads:
        await asyncio.sleep(0.05)
        assert reads.items == []  # the pass is still open at t=0
        now[0] = 1.5
        await reads.wait(1)
    (read,) = reads.items
    assert (read.text, read.qty) == ("01" + GTIN_A, Decimal(4))
    assert reader.closed.is_set()  # stopping the source closes the reader


async def test_open_passes_are_flushed_at_shutdown() -> None:
    source = RfidPassSource(FakeReader([]), PassTracker())
    source.tracker.add(tag(sgtin("112345", 1), 0.0))
    assert [(r.text, r.qty) for r in source.flush()] == [("01" + GTIN_B, Decimal(1))]


async def test_a_pallet_through_the_door_is_booked_by_the_server(
    tmp_path: Path, served: JxcServer
) -> None:
    """EAN_PLAIN (5901234123457) tagged as SGTIN-96 (company 5901234, item 012345): five
    cases through the door are one receipt of five on the real server."""
    keys = await seed(served, ["door-1"])
    epcs = [sgtin("012345", serial) for serial in range(1, 6)]
    now = [0.0]
    tags = [tag(e, 0.0, antenna=1 + i % 2, count=3) for i, e in enumerate(epcs)]
    source = RfidPassSource(
        FakeReader(tags), PassTracker(idle_gap=1.0), clock=lambda: now[0], poll_every=0.02
    )
    text = tomli_w.dumps(
        {
            "server": served.url,
            "outbox": str(tmp_path / "outbox.db"),
            "device": [
                {"name": "door-1", "kind": "llrp", "host": "10.0.0.9", "api_key": keys["door-1"]}
            ],
        }
    )
    agent = Agent(parse_config(text), sources={"door-1": source})
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        await asyncio.wait_for(agent.started.wait(), 10)
        now[0] = 5.0  # the door has been quiet for longer than the idle gap

        async def booked() -> bool:
            return bool(await served.moves())

        await until(booked, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    (move,) = await served.moves()
    assert (move["sku"], move["qty"], move["to_location"]) == ("PLAIN", 5, "DOCK")
    assert move["reference"].startswith("rfid pass ")
    assert await served.stock("DOCK") == {"PLAIN": 5}
