"""Turn a stream of RFID tag reads into passes: one pallet through one dock door.

A fixed reader reports each tag many times (every inventory round, on every antenna). For
stock, what counts is which distinct tags went through the door together. ``PassTracker``
folds reads per (EPC, read point) and closes a reader's pass once no tag has been read on it
for ``idle_gap`` seconds; ``Pass.receipt()`` then counts distinct EPCs per GTIN.

Pure: no clock and no I/O. The caller supplies times (all in one clock, seconds) and calls
``poll(now)`` on a timer — a pass ends precisely when nothing arrives, so waiting for the next
read to notice would never close the last one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from scanner.epc import InvalidEPC, decode_epc


@dataclass(frozen=True, slots=True)
class TagRead:
    """One tag seen by one antenna of one reader, as reported (possibly many sightings)."""

    epc_hex: str
    antenna: int
    rssi: float | None  # peak RSSI in dBm over the sightings, when the reader reports it
    seen_count: int  # sightings folded into this report by the reader
    first_seen: float  # seconds, in the caller's clock
    last_seen: float
    reader: str  # the read point's name: one reader = one dock door


@dataclass(frozen=True, slots=True)
class TagSummary:
    """Everything one read point saw of one tag during a pass."""

    epc_hex: str
    reader: str
    antenna: int
    first_seen: float
    last_seen: float
    seen_count: int
    peak_rssi: float | None


@dataclass(frozen=True, slots=True)
class PassLine:
    """One product on a pass receipt: its distinct tags."""

    gtin: str
    qty: int
    epcs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pass:
    """All tags read on one reader between two idle gaps."""

    reader: str
    first_seen: float
    last_seen: float
    tags: tuple[TagSummary, ...]  # one per (EPC, antenna), sorted
    # Reads refused because the tracker was at ``max_tags``: the pass is then known to be
    # incomplete, and whoever books it must not take the receipt as the whole pallet.
    dropped_reads: int = 0

    @property
    def complete(self) -> bool:
        """False when reads were refused for lack of room: the receipt may be short."""
        return self.dropped_reads == 0

    @property
    def epcs(self) -> tuple[str, ...]:
        """The distinct EPCs of the pass, sorted."""
        return tuple(sorted({tag.epc_hex for tag in self.tags}))

    def receipt(self) -> list[PassLine]:
        """One line per GTIN, counting distinct SGTIN EPCs, sorted by GTIN."""
        by_gtin: defaultdict[str, list[str]] = defaultdict(list)
        for epc_hex in self.epcs:
            gtin = _gtin(epc_hex)
            if gtin is not None:
                by_gtin[gtin].append(epc_hex)
        return [
            PassLine(gtin=gtin, qty=len(epcs), epcs=tuple(epcs))
            for gtin, epcs in sorted(by_gtin.items())
        ]

    @property
    def unknown(self) -> tuple[str, ...]:
        """EPCs that are not SGTINs (SSCCs, unprogrammed or foreign tags), kept for review."""
        return tuple(epc_hex for epc_hex in self.epcs if _gtin(epc_hex) is None)


def _gtin(epc_hex: str) -> str | None:
    try:
        return decode_epc(epc_hex).gtin
    except InvalidEPC:
        return None


@dataclass(slots=True)
class _Tag:
    first_seen: float
    last_seen: float
    seen_count: int
    peak_rssi: float | None


@dataclass(slots=True)
class _OpenPass:
    first_seen: float
    last_seen: float
    tags: dict[tuple[str, int], _Tag] = field(default_factory=dict)
    dropped_reads: int = 0


class PassTracker:
    """De-duplicate reads per (EPC, reader, antenna) and cut them into passes per reader.

    Memory is bounded by ``max_tags`` (EPC × read point entries over all open passes). When
    it is reached, a read that would need a new entry is refused: ``add`` returns False and
    the pass it belonged to is marked incomplete (``Pass.dropped_reads``). Reads of tags
    already held keep being folded in. A pass is never split to make room, since the two
    halves would each count the tags they share.
    """

    def __init__(self, idle_gap: float = 2.0, max_tags: int = 100_000) -> None:
        if idle_gap <= 0:
            raise ValueError("idle_gap must be positive")
        if max_tags < 1:
            raise ValueError("max_tags must be at least 1")
        self.idle_gap = idle_gap
        self.max_tags = max_tags
        self._open: dict[str, _OpenPass] = {}
        self._held = 0

    @property
    def held_tags(self) -> int:
        """Entries currently held over all open passes (at most ``max_tags``)."""
        return self._held

    def add(self, read: TagRead) -> bool:
        """Fold one read into its reader's open pass; False if refused because full."""
        first = min(read.first_seen, read.last_seen)
        last = max(read.first_seen, read.last_seen)
        open_pass = self._open.get(read.reader)
        if open_pass is None:
            open_pass = self._open[read.reader] = _OpenPass(first_seen=first, last_seen=last)
        key = (read.epc_hex.upper(), read.antenna)
        tag = open_pass.tags.get(key)
        if tag is None:
            if self._held >= self.max_tags:
                open_pass.dropped_reads += 1
                return False
            open_pass.tags[key] = _Tag(first, last, max(1, read.seen_count), read.rssi)
            self._held += 1
        else:
            tag.first_seen = min(tag.first_seen, first)
            tag.last_seen = max(tag.last_seen, last)
            tag.seen_count += max(1, read.seen_count)  # a report is at least one sighting
            if read.rssi is not None and (tag.peak_rssi is None or read.rssi > tag.peak_rssi):
                tag.peak_rssi = read.rssi
        open_pass.first_seen = min(open_pass.first_seen, first)
        open_pass.last_seen = max(open_pass.last_seen, last)
        return True

    def poll(self, now: float) -> list[Pass]:
        """Close and return the passes with no read for ``idle_gap`` seconds before ``now``."""
        idle = [r for r, p in self._open.items() if now - p.last_seen >= self.idle_gap]
        return sorted((self._close(reader) for reader in idle), key=lambda p: p.last_seen)

    def flush(self) -> list[Pass]:
        """Close every open pass now (at shutdown), so no read is left unreported."""
        return sorted((self._close(r) for r in list(self._open)), key=lambda p: p.last_seen)

    def _close(self, reader: str) -> Pass:
        open_pass = self._open.pop(reader)
        self._held -= len(open_pass.tags)
        tags = tuple(
            TagSummary(
                epc_hex=epc_hex,
                reader=reader,
                antenna=antenna,
                first_seen=tag.first_seen,
                last_seen=tag.last_seen,
                seen_count=tag.seen_count,
                peak_rssi=tag.peak_rssi,
            )
            for (epc_hex, antenna), tag in sorted(open_pass.tags.items())
        )
        return Pass(
            reader=reader,
            first_seen=open_pass.first_seen,
            last_seen=open_pass.last_seen,
            tags=tags,
            dropped_reads=open_pass.dropped_reads,
        )
