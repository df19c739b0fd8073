"""The LLRP adapter against a local fake reader speaking binary LLRP on TCP.

The reader (``tests/hardware/llrp_peer.py``) packs every message with struct; sllurp's real
client code decodes them inside ``LLRPSource``. Time on the agent side is a fake clock the
test moves, so idle gaps are exact and the tests take seconds.
"""

from __future__ import annotations

import asyncio
import random
import struct
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from sllurp.llrp import LLRPMessage  # type: ignore[import-untyped]

import hardware.llrp
from hardware.link import Backoff
from hardware.llrp import (
    LLRPSource,
    LLRPUnavailable,
    ReaderClock,
    parse_tag_report,
    require_sllurp,
)
from hardware.rfid import Pass, PassLine, PassTracker, TagRead
from tests.hardware.llrp_peer import (
    RO_ACCESS_REPORT,
    SELECTOR_BITS,
    FakeReader,
    Sighting,
    message,
    tag_report_data,
)

READER_EPOCH = 1_700_000_000.0  # the reader's UTC clock at t=0, in seconds
AGENT_EPOCH = 5_000.0  # the agent's monotonic clock at t=0
IDLE_GAP = 2.0
ITEMS = {"812345": 50, "712345": 40, "112345": 30}  # item reference -> tags on the pallet


def check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def gtin(item: str) -> str:
    body = item[0] + "0614141" + item[1:]
    return body + check_digit(body)


def sgtin96(item: str, serial: int) -> bytes:
    """SGTIN-96, filter 1, partition 5 (7-digit prefix 0614141), packed by hand."""
    bits = f"{0x30:08b}{1:03b}{5:03b}{614141:024b}{int(item):020b}{serial:038b}"
    return int(bits, 2).to_bytes(12, "big")


NON_GS1 = [
    bytes(12),  # unprogrammed
    bytes.fromhex("E2801160600002054CC2096F"),  # TID-like factory EPC, 96 bits
    bytes.fromhex("E28011606000020500000000DEADBEEF"),  # 128 bits, sent as EPCData
    bytes.fromhex("3114257BF4499602D2000000"),  # an SSCC-96: GS1, but not a product
    bytes.fromhex("ABCDEF0123456789"),  # 64 bits
]


class FakeClock:
    def __init__(self) -> None:
        self.now = AGENT_EPOCH

    def __call__(self) -> float:
        return self.now


@dataclass
class Consumer:
    """What the agent does with a source: feed a PassTracker, count what arrived."""

    source: LLRPSource
    tracker: PassTracker
    reads: list[TagRead] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for read in self.source.reads():
            self.tracker.add(read)
            self.reads.append(read)
            self.arrived.set()

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.reads) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def peer() -> AsyncIterator[FakeReader]:
    reader = FakeReader()
    await reader.start()
    yield reader
    await reader.stop()


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for state owned by other tasks (the adapter, the peer) to get there."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - plain attributes, nothing to await on
            await asyncio.sleep(0.01)


def make_source(peer: FakeReader, clock: FakeClock, **kwargs: object) -> LLRPSource:
    options: dict[str, object] = {
        "antennas": (1, 2),
        "report_every_n_tags": 40,
        "report_timeout_ms": 100,
        "reader_name": "dock-1-portal",
        "keepalive_s": 0.5,
        "backoff": Backoff(initial=0.05, maximum=0.2),
        "clock": clock,
    }
    options.update(kwargs)
    return LLRPSource("127.0.0.1", peer.port, **options)  # type: ignore[arg-type]


@pytest.fixture
async def running(peer: FakeReader) -> AsyncIterator[tuple[LLRPSource, Consumer, FakeClock]]:
    clock = FakeClock()
    source = make_source(peer, clock)
    consumer = Consumer(source, PassTracker(idle_gap=IDLE_GAP))
    consumer.start()
    yield source, consumer, clock
    await source.close()
    assert consumer.task is not None
    async with asyncio.timeout(5):
        await consumer.task  # reads() ends after close()


def simulate_pass(
    epcs: list[bytes], start: float, rng: random.Random
) -> tuple[list[list[Sighting]], Counter[str]]:
    """Reports a reader would send for a pallet rolling through in ~3 s.

    Each tag is read 5-20 times on two antennas; sightings are folded per (EPC, antenna)
    within a 100 ms report period, as a reader does, and a period's entries are split into
    reports of at most 25. Returns the reports and the true sighting count per EPC.
    """
    periods: dict[int, dict[tuple[bytes, int], list[float]]] = defaultdict(dict)
    truth: Counter[str] = Counter()
    for epc in epcs:
        for _ in range(rng.randint(5, 20)):
            t = start + rng.uniform(0.0, 3.0)
            key = (epc, rng.choice((1, 2)))
            periods[int((t - start) / 0.1)].setdefault(key, []).append(t)
            truth[epc.hex().upper()] += 1
    reports = []
    for index in sorted(periods):
        entries = [
            Sighting(
                epc=epc,
                antenna=antenna,
                first_seen_us=round((READER_EPOCH + min(times)) * 1e6),
                last_seen_us=round((READER_EPOCH + max(times)) * 1e6),
                count=len(times),
                rssi=rng.randint(-75, -40),
                epc96=index % 3 != 0,  # every third report uses EPCData for 96-bit EPCs too
            )
            for (epc, antenna), times in sorted(periods[index].items())
        ]
        reports += [entries[i : i + 25] for i in range(0, len(entries), 25)]
    return reports, truth


async def send_all(peer: FakeReader, clock: FakeClock, reports: list[list[Sighting]]) -> int:
    """Send reports in order, the agent clock just past each report's newest sighting."""
    for report in reports:
        newest = max(s.last_seen_us for s in report) / 1e6 - READER_EPOCH
        clock.now = AGENT_EPOCH + newest + 0.05
        await peer.send_report(report)
    return sum(len(r) for r in reports)


def pallet() -> list[bytes]:
    return [sgtin96(item, serial) for item, n in ITEMS.items() for serial in range(1, n + 1)]


def expected_receipt(epcs: list[bytes]) -> list[PassLine]:
    by_gtin: dict[str, list[str]] = defaultdict(list)
    for epc in epcs:
        hex_ = epc.hex().upper()
        if hex_.startswith("30"):
            item = f"{(int(hex_, 16) >> 38) & ((1 << 20) - 1):06d}"
            by_gtin[gtin(item)].append(hex_)
    return [PassLine(g, len(e), tuple(sorted(e))) for g, e in sorted(by_gtin.items())]


def close_pass(consumer: Consumer, clock: FakeClock) -> list[Pass]:
    assert consumer.tracker.poll(clock.now) == []  # not idle long enough yet
    clock.now += IDLE_GAP + 0.1
    return consumer.tracker.poll(clock.now)


async def test_a_pallet_of_120_tags_is_one_pass_with_an_exact_receipt(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    source, consumer, clock = running
    conn = await peer.wait_inventorying(1)
    reports, truth = simulate_pass(pallet(), 0.0, random.Random(1))
    assert len(reports) > 20
    await consumer.wait_for(await send_all(peer, clock, reports))

    (done,) = close_pass(consumer, clock)
    assert done.receipt() == expected_receipt(pallet())
    assert [(line.gtin, line.qty) for line in done.receipt()] == sorted(
        (gtin(item), n) for item, n in ITEMS.items()
    )
    assert done.complete and done.unknown == () and done.reader == "dock-1-portal"
    seen: Counter[str] = Counter()
    for tag in done.tags:
        seen[tag.epc_hex] += tag.seen_count
        assert tag.antenna in (1, 2)
        assert tag.peak_rssi is not None and -75 <= tag.peak_rssi <= -40
    assert seen == truth  # every sighting the reader counted is in the pass
    # Reader times landed on the agent's clock: inside the 3 s the pallet took.
    assert AGENT_EPOCH <= done.first_seen <= done.last_seen <= AGENT_EPOCH + 3.1

    # What sllurp's client asked the reader, as the reader decoded it.
    assert conn.received[:8] == [
        "GET_READER_CAPABILITIES",
        "GET_READER_CONFIG",
        "ENABLE_EVENTS_AND_REPORTS",
        "SET_READER_CONFIG",
        "DELETE_ACCESSSPEC",
        "DELETE_ROSPEC",
        "ADD_ROSPEC",
        "ENABLE_ROSPEC",
    ]
    assert conn.keepalive_ms == 500 and conn.reset_requested is False
    rospec = conn.enabled
    assert rospec is not None
    assert rospec.antennas == (1, 2)
    assert rospec.selector == {
        "AntennaID",
        "PeakRSSI",
        "FirstSeenTimestamp",
        "LastSeenTimestamp",
        "TagSeenCount",
    }
    assert (rospec.stop_trigger, rospec.n_tags, rospec.timeout_ms) == (3, 40, 100)
    assert rospec.tx_power_index == (81, 81)  # 0 = the top of the reader's power table
    assert (rospec.session, rospec.tag_population) == (2, 32)
    assert source.connects == 1 and source.health.state == "connected"


async def test_non_gs1_tags_are_reported_as_unknown(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    _, consumer, clock = running
    await peer.wait_inventorying(1)
    products = [sgtin96("812345", s) for s in range(1, 11)]
    reports, _ = simulate_pass(products + NON_GS1, 0.0, random.Random(2))
    sent = await send_all(peer, clock, reports)
    await consumer.wait_for(sent)

    (done,) = close_pass(consumer, clock)
    assert done.receipt() == [
        PassLine(gtin("812345"), 10, tuple(e.hex().upper() for e in products))
    ]
    assert done.unknown == tuple(sorted(e.hex().upper() for e in NON_GS1))


async def test_an_undecodable_message_is_skipped_and_the_connection_kept(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    source, consumer, _ = running
    conn = await peer.wait_inventorying(1)
    await peer.send_raw(message(999, b"\x00\x01garbage", 7))  # a type nobody defined
    await peer.send_raw(message(RO_ACCESS_REPORT, b"\x00\xf0\x00", 8))  # a truncated TLV
    tag = Sighting(sgtin96("812345", 1), 1, 1, 2)
    await peer.send_report([tag])
    await consumer.wait_for(1)
    assert consumer.reads[0].epc_hex == tag.epc.hex().upper()
    assert source.connects == 1 and not conn.closed.is_set()


async def test_reconnects_after_the_reader_drops_mid_pass_and_the_pass_continues(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    source, consumer, clock = running
    await peer.wait_inventorying(1)
    reports, truth = simulate_pass(pallet(), 0.0, random.Random(3))
    half = len(reports) // 2
    sent = await send_all(peer, clock, reports[:half])
    await consumer.wait_for(sent)

    peer.drop()  # cable pulled: no CLOSE_CONNECTION, no goodbye
    second = await peer.wait_inventorying(2)
    assert second.received[0] == "GET_READER_CAPABILITIES"  # configured from scratch
    sent += await send_all(peer, clock, reports[half:])
    await consumer.wait_for(sent)

    (done,) = close_pass(consumer, clock)
    assert done.receipt() == expected_receipt(pallet())
    assert sum(t.seen_count for t in done.tags) == sum(truth.values())
    assert source.connects == 2 and source.health.state == "connected"


async def test_two_passes_separated_by_an_idle_gap_are_two_passes(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    _, consumer, clock = running
    await peer.wait_inventorying(1)
    first = [sgtin96("812345", s) for s in range(1, 11)]
    second = [sgtin96("712345", s) for s in range(1, 8)] + first[:3]  # 3 cases come back

    reports, _ = simulate_pass(first, 0.0, random.Random(4))
    await consumer.wait_for(await send_all(peer, clock, reports))
    (one,) = close_pass(consumer, clock)

    reports, _ = simulate_pass(second, 10.0, random.Random(5))
    await consumer.wait_for(len(consumer.reads) + await send_all(peer, clock, reports))
    (two,) = close_pass(consumer, clock)

    assert one.receipt() == expected_receipt(first)
    assert two.receipt() == expected_receipt(second)
    assert [line.qty for line in two.receipt()] == [7, 3]
    assert one.last_seen + IDLE_GAP < two.first_seen


async def test_a_silent_reader_is_noticed_and_reconnected() -> None:
    peer = FakeReader(send_keepalives=False)  # link dead without a FIN
    await peer.start()
    clock = FakeClock()
    source = make_source(peer, clock, keepalive_s=0.2)
    consumer = Consumer(source, PassTracker())
    consumer.start()
    try:
        await peer.wait_inventorying(1)
        await peer.wait_inventorying(2, timeout=5.0)  # 3 missed keepalives + 1 s
        await until(lambda: source.connects == 2)
        assert peer.connections[0].closed.is_set()
    finally:
        await source.close()
        await peer.stop()


async def test_keepalives_are_acknowledged_and_close_is_polite(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    source, consumer, _ = running
    conn = await peer.wait_inventorying(1)
    await until(lambda: conn.keepalive_acks >= 2)
    await peer.send_report([Sighting(sgtin96("812345", 1), 2, 1, 2)])
    await consumer.wait_for(1)
    await source.close()
    async with asyncio.timeout(5):
        await conn.closed.wait()
    assert conn.received[-3:] == ["DELETE_ACCESSSPEC", "DELETE_ROSPEC", "CLOSE_CONNECTION"]
    assert conn.clean_close
    assert source.health.state == "disconnected"
    assert consumer.task is not None
    async with asyncio.timeout(5):
        await consumer.task
    assert len(consumer.reads) == 1


async def test_leaving_the_iteration_closes_the_source(peer: FakeReader) -> None:
    source = make_source(peer, FakeClock())
    reads = source.reads()
    first = asyncio.ensure_future(anext(reads))
    conn = await peer.wait_inventorying(1)
    await peer.send_report([Sighting(sgtin96("812345", s), 1, 1, 2) for s in range(3)])
    assert (await first).epc_hex == sgtin96("812345", 0).hex().upper()
    await reads.aclose()  # what `break` or a cancelled consumer does
    assert conn.clean_close and conn.received[-1] == "CLOSE_CONNECTION"
    assert [read async for read in source.reads()] == []  # closed for good


async def test_a_refused_connection_attempt_is_retried() -> None:
    peer = FakeReader(refuse_first=2)  # "a client initiated connection already exists"
    await peer.start()
    source = make_source(peer, FakeClock())
    errors: list[str | None] = []
    source.health.listeners.append(lambda h: errors.append(h.error))
    Consumer(source, PassTracker()).start()
    try:
        await peer.wait_inventorying(1)
        await until(lambda: source.connects == 1)
        assert peer.attempts == 3
        assert errors[0] is not None and "already exists" in errors[0]
        assert source.health.state == "connected"
    finally:
        await source.close()
        await peer.stop()


async def test_a_configuration_the_reader_cannot_do_is_an_error_and_retried() -> None:
    peer = FakeReader(max_antennas=2)
    await peer.start()
    source = make_source(peer, FakeClock(), antennas=(1, 3))
    Consumer(source, PassTracker()).start()
    try:
        await until(lambda: peer.attempts >= 3 and source.health.state == "error")
        assert source.health.state == "error"
        assert source.health.error is not None and "antenna" in source.health.error.lower()
        assert source.connects == 0
        assert all(c.received[:1] == ["GET_READER_CAPABILITIES"] for c in peer.connections)
        assert not any("ADD_ROSPEC" in c.received for c in peer.connections)
    finally:
        await source.close()
        await peer.stop()


async def test_an_oversized_frame_drops_the_connection(
    peer: FakeReader, running: tuple[LLRPSource, Consumer, FakeClock]
) -> None:
    source, _, _ = running
    first = await peer.wait_inventorying(1)
    await peer.send_raw(struct.pack("!HII", (1 << 10) | RO_ACCESS_REPORT, 1 << 30, 1))
    await peer.wait_inventorying(2)
    await until(lambda: source.connects == 2)
    assert first.closed.is_set()


async def test_a_reader_that_is_down_is_waited_for(peer: FakeReader) -> None:
    peer.stop_listening()
    source = make_source(peer, FakeClock())
    Consumer(source, PassTracker()).start()
    try:
        await until(lambda: source.health.state == "error")  # refused, retried with backoff
        await asyncio.sleep(0.3)
        assert source.connects == 0
        await peer.start()
        await peer.wait_inventorying(1)
        await until(lambda: source.health.state == "connected")
    finally:
        await source.close()


# --- pure parts: report parsing, clock mapping, settings -------------------------------


def decoded(*entries: bytes) -> list[dict[str, object]]:
    """TagReportData as sllurp decodes it from real bytes (this is what the adapter gets)."""
    msg = LLRPMessage(msgbytes=message(RO_ACCESS_REPORT, b"".join(entries), 1))
    tags: list[dict[str, object]] = msg.msgdict["RO_ACCESS_REPORT"]["TagReportData"]
    return tags


ALL = frozenset(SELECTOR_BITS)
EPC_A = sgtin96("812345", 7)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            tag_report_data(Sighting(EPC_A, 2, 10_000_000, 10_500_000, 9, -48), ALL, 1),
            TagRead(EPC_A.hex().upper(), 2, -48.0, 9, 99.5, 100.0, "r"),
        ),
        (  # EPCData instead of EPC-96
            tag_report_data(Sighting(EPC_A, 1, 10_000_000, 10_500_000, 3, -60, False), ALL, 1),
            TagRead(EPC_A.hex().upper(), 1, -60.0, 3, 99.5, 100.0, "r"),
        ),
        (  # only the EPC: antenna 0, one sighting, arrival time
            tag_report_data(Sighting(NON_GS1[2], 1, 0, 0), frozenset(), 1),
            TagRead(NON_GS1[2].hex().upper(), 0, None, 1, 100.0, 100.0, "r"),
        ),
        (  # last-seen only
            tag_report_data(
                Sighting(EPC_A, 4, 0, 10_500_000, 2), frozenset({"LastSeenTimestamp"}), 1
            ),
            TagRead(EPC_A.hex().upper(), 0, None, 1, 100.0, 100.0, "r"),
        ),
    ],
)
def test_parse_tag_report(entry: bytes, expected: TagRead) -> None:
    clock = ReaderClock()
    (read,) = parse_tag_report(decoded(entry), reader="r", received_at=100.0, clock=clock)
    assert read == expected


def test_parse_uptime_timestamps_and_skips_entries_without_epc() -> None:
    uptime = (
        b"\x8d"
        + EPC_A  # EPC-96
        + struct.pack("!BH", 0x81, 3)  # AntennaID
        + struct.pack("!BQ", 0x83, 7_000_000)  # FirstSeenTimestampUptime
        + struct.pack("!BQ", 0x85, 7_250_000)  # LastSeenTimestampUptime
    )
    no_epc = struct.pack("!BH", 0x81, 1)
    tags = decoded(
        struct.pack("!HH", 240, 4 + len(uptime)) + uptime,
        struct.pack("!HH", 240, 4 + len(no_epc)) + no_epc,
    )
    reads = parse_tag_report(tags, reader="r", received_at=50.0, clock=ReaderClock())
    assert reads == [TagRead(EPC_A.hex().upper(), 3, None, 1, 49.75, 50.0, "r")]


def test_parse_is_tolerant_of_older_sllurp_shapes() -> None:
    tags: list[dict[str, object]] = [
        {"EPC-96": EPC_A.hex().encode(), "AntennaID": (1,), "TagSeenCount": (4,)},
        {"EPC": "zz"},
        {"EPC": b"ab" * 63},  # longer than any EPC bank
        {"EPC": 12},
    ]
    reads = parse_tag_report(tags, reader="r", received_at=1.0, clock=ReaderClock())
    assert reads == [TagRead(EPC_A.hex().upper(), 1, None, 4, 1.0, 1.0, "r")]


@pytest.mark.parametrize("skew", [-3600.0, -3.0, 0.0, 2.5, 86_400.0 * 365 * 30])
def test_reader_clock_maps_onto_the_agent_clock_whatever_the_skew(skew: float) -> None:
    clock = ReaderClock()
    # The reader's event at agent time 1000.0, stamped with a skewed clock, arrives 80 ms
    # later; a later report shows a quicker 20 ms delivery.
    clock.observe(1000.0 + skew, received_at=1000.08)
    assert clock.to_local(1000.0 + skew) == pytest.approx(1000.08)
    clock.observe(1001.0 + skew, received_at=1001.02)
    assert clock.to_local(1001.0 + skew) == pytest.approx(1001.02)
    assert clock.to_local(1000.0 + skew) == pytest.approx(1000.02)  # never after arrival
    clock.observe(1002.0 + skew, received_at=1002.5)  # a slow report does not move it
    assert clock.to_local(1002.0 + skew) == pytest.approx(1002.02)


def test_reader_clock_relearns_after_the_reader_clock_jumps_back() -> None:
    clock = ReaderClock(resync_after=30.0)
    clock.observe(5000.0, received_at=100.0)
    clock.observe(5000.0 - 3600.0 + 10.0, received_at=110.0)  # NTP stepped it an hour back
    assert clock.to_local(5000.0 - 3600.0 + 10.0) == pytest.approx(110.0)


@pytest.mark.parametrize(
    "bad",
    [
        {"antennas": ()},
        {"antennas": (1, 1)},
        {"antennas": (0,)},
        {"report_every_n_tags": 0},
        {"report_timeout_ms": 0},
        {"session": 4},
        {"keepalive_s": 0},
        {"queue_size": 0},
        {"max_message_bytes": 9},
    ],
)
def test_rejects_settings_that_cannot_work(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LLRPSource("127.0.0.1", **bad)  # type: ignore[arg-type]


def test_without_sllurp_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware.llrp, "_sllurp", None)
    with pytest.raises(LLRPUnavailable, match=r"pip install 'jxc\[llrp\]'"):
        LLRPSource("192.168.1.50")
    with pytest.raises(LLRPUnavailable):
        require_sllurp()


def test_hardware_imports_without_sllurp_installed() -> None:
    code = (
        "import sys; sys.modules['sllurp'] = None\n"  # makes `import sllurp` fail
        "import hardware, hardware.llrp, hardware.rfid\n"
        "try:\n"
        "    hardware.llrp.LLRPSource('192.168.1.50')\n"
        "except hardware.llrp.LLRPUnavailable as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'jxc[llrp]'" in out.stdout
