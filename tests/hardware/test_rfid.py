"""Passes and receipts from raw tag reads: de-duplication, idle gaps, the memory bound."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.rfid import Pass, PassLine, PassTracker, TagRead, TagSummary

# SGTIN-96 EPCs of company prefix 0614141, items 812345 / 712345 (GTIN-14 computed by hand:
# indicator, prefix, item reference, GS1 check digit), serials 1…n.
GTIN_A = "80614141123458"
GTIN_B = "70614141123451"
SSCC = "3114257BF4499602D2000000"  # urn:epc:id:sscc:0614141.1234567890
TID_LIKE = "E2801160600002054CC2096F"


def sgtin(item: str, serial: int) -> str:
    bits = f"{0x30:08b}{1:03b}{5:03b}{614141:024b}{int(item):020b}{serial:038b}"
    return f"{int(bits, 2):024X}"


def read(
    epc: str,
    t: float,
    *,
    antenna: int = 1,
    reader: str = "dock-1",
    count: int = 1,
    rssi: float | None = -60.0,
) -> TagRead:
    return TagRead(
        epc_hex=epc,
        antenna=antenna,
        rssi=rssi,
        seen_count=count,
        first_seen=t,
        last_seen=t,
        reader=reader,
    )


def test_the_helper_encodes_the_gtins_it_claims() -> None:
    from scanner.epc import decode_epc

    assert decode_epc(sgtin("812345", 1)).gtin == GTIN_A
    assert decode_epc(sgtin("712345", 1)).gtin == GTIN_B


def test_one_tag_read_twenty_times_on_two_antennas_counts_once() -> None:
    tracker = PassTracker(idle_gap=2.0)
    epc = sgtin("812345", 7)
    for i in range(20):
        tracker.add(read(epc, 100 + i * 0.05, antenna=1 + i % 2, count=3, rssi=-70.0 + i))
    (done,) = tracker.poll(now=110)
    assert done.receipt() == [PassLine(gtin=GTIN_A, qty=1, epcs=(epc,))]
    assert done.tags == (
        TagSummary(epc, "dock-1", 1, 100.0, 100 + 18 * 0.05, 30, -52.0),
        TagSummary(epc, "dock-1", 2, 100.05, 100 + 19 * 0.05, 30, -51.0),
    )
    assert done.first_seen == 100.0 and done.last_seen == pytest.approx(100.95)
    assert done.complete and done.unknown == ()


def test_receipt_groups_distinct_epcs_by_gtin_and_keeps_the_rest_as_unknown() -> None:
    tracker = PassTracker()
    a = [sgtin("812345", s) for s in range(1, 6)]
    b = [sgtin("712345", s) for s in range(1, 4)]
    for epc in [*a, *b, SSCC, TID_LIKE, "not-hex", *a]:
        tracker.add(read(epc, 5.0))
    (done,) = tracker.poll(now=10.0)
    assert done.receipt() == [
        PassLine(gtin=GTIN_B, qty=3, epcs=tuple(sorted(b))),
        PassLine(gtin=GTIN_A, qty=5, epcs=tuple(sorted(a))),
    ]
    assert done.unknown == tuple(sorted([SSCC, TID_LIKE, "NOT-HEX"]))
    assert len(done.epcs) == 11


def test_epc_case_does_not_make_two_tags() -> None:
    tracker = PassTracker()
    epc = sgtin("812345", 1)
    tracker.add(read(epc.lower(), 1.0))
    tracker.add(read(epc, 1.5))
    (done,) = tracker.poll(now=9.0)
    assert done.receipt()[0].qty == 1 and len(done.tags) == 1


def test_a_pass_closes_only_after_the_idle_gap() -> None:
    tracker = PassTracker(idle_gap=2.0)
    tracker.add(read(sgtin("812345", 1), 10.0))
    tracker.add(read(sgtin("812345", 2), 11.5))
    assert tracker.poll(now=13.4) == []
    (done,) = tracker.poll(now=13.5)
    assert done.receipt()[0].qty == 2
    assert tracker.poll(now=100.0) == []
    assert tracker.held_tags == 0


def test_two_passes_separated_by_an_idle_gap_are_two_passes() -> None:
    tracker = PassTracker(idle_gap=2.0)
    tracker.add(read(sgtin("812345", 1), 10.0))
    tracker.add(read(sgtin("812345", 2), 10.5))
    first = tracker.poll(now=13.0)
    tracker.add(read(sgtin("712345", 1), 20.0))
    tracker.add(read(sgtin("812345", 1), 20.1))  # the same tag again is a new pass
    second = tracker.poll(now=23.0)
    assert [p.receipt() for p in first + second] == [
        [PassLine(GTIN_A, 2, tuple(sorted([sgtin("812345", 1), sgtin("812345", 2)])))],
        [
            PassLine(GTIN_B, 1, (sgtin("712345", 1),)),
            PassLine(GTIN_A, 1, (sgtin("812345", 1),)),
        ],
    ]


def test_readers_have_their_own_passes() -> None:
    tracker = PassTracker(idle_gap=1.0)
    tracker.add(read(sgtin("812345", 1), 10.0, reader="dock-1"))
    tracker.add(read(sgtin("812345", 1), 10.0, reader="dock-2"))
    tracker.add(read(sgtin("812345", 2), 10.8, reader="dock-2"))
    (one,) = tracker.poll(now=11.0)
    assert one.reader == "dock-1"
    (two,) = tracker.poll(now=11.8)
    assert two.reader == "dock-2" and two.receipt()[0].qty == 2


def test_late_report_with_older_times_still_lands_in_the_open_pass() -> None:
    tracker = PassTracker(idle_gap=2.0)
    tracker.add(read(sgtin("812345", 1), 10.0))
    tracker.add(read(sgtin("812345", 2), 9.0))  # reader buffered it
    (done,) = tracker.poll(now=12.0)
    assert done.first_seen == 9.0 and done.receipt()[0].qty == 2


def test_rssi_may_be_missing() -> None:
    tracker = PassTracker()
    epc = sgtin("812345", 1)
    tracker.add(read(epc, 1.0, rssi=None))
    tracker.add(read(epc, 1.1, rssi=-40.0))
    tracker.add(read(epc, 1.2, rssi=None))
    (done,) = tracker.poll(now=5.0)
    assert done.tags[0].peak_rssi == -40.0 and done.tags[0].seen_count == 3


def test_full_tracker_refuses_new_tags_and_marks_the_pass_incomplete() -> None:
    tracker = PassTracker(idle_gap=1.0, max_tags=3)
    held = [sgtin("812345", s) for s in range(3)]
    assert all(tracker.add(read(epc, 1.0)) for epc in held)
    assert tracker.held_tags == 3
    assert not tracker.add(read(sgtin("812345", 99), 1.1))
    assert not tracker.add(read(held[0], 1.1, antenna=2))  # a new read point needs room too
    assert tracker.add(read(held[0], 1.2, count=4))  # known entries still fold in
    assert not tracker.add(read(sgtin("812345", 98), 1.3, reader="dock-2"))
    one, two = tracker.poll(now=5.0)
    assert (one.reader, one.dropped_reads, one.complete) == ("dock-1", 2, False)
    assert one.receipt() == [PassLine(GTIN_A, 3, tuple(sorted(held)))]
    assert one.tags[0].seen_count == 5
    assert (two.reader, two.tags, two.dropped_reads) == ("dock-2", (), 1)
    # Closing freed the room.
    assert tracker.held_tags == 0
    assert tracker.add(read(sgtin("812345", 99), 10.0))
    (three,) = tracker.poll(now=20.0)
    assert three.complete


def test_flush_closes_everything() -> None:
    tracker = PassTracker(idle_gap=60.0)
    tracker.add(read(sgtin("812345", 1), 1.0, reader="b"))
    tracker.add(read(sgtin("812345", 1), 0.5, reader="a"))
    assert [p.reader for p in tracker.flush()] == ["a", "b"]
    assert tracker.flush() == [] and tracker.held_tags == 0


@pytest.mark.parametrize(("idle_gap", "max_tags"), [(0.0, 10), (-1.0, 10), (1.0, 0)])
def test_rejects_nonsense_settings(idle_gap: float, max_tags: int) -> None:
    with pytest.raises(ValueError):
        PassTracker(idle_gap=idle_gap, max_tags=max_tags)


def test_an_empty_pass_has_an_empty_receipt() -> None:
    empty = Pass(reader="x", first_seen=0.0, last_seen=0.0, tags=())
    assert empty.receipt() == [] and empty.unknown == () and empty.complete


reads_strategy = st.lists(
    st.tuples(
        st.sampled_from(
            [sgtin("812345", s) for s in range(6)]
            + [sgtin("712345", s) for s in range(4)]
            + [SSCC, TID_LIKE]
        ),
        st.integers(min_value=1, max_value=4),  # antenna
        st.integers(min_value=1, max_value=50),  # seen count
        st.floats(min_value=0.0, max_value=1.9),  # time within one pass
    ),
    min_size=1,
    max_size=200,
)


@given(reads_strategy)
def test_receipt_counts_every_distinct_tag_once(
    reads: list[tuple[str, int, int, float]],
) -> None:
    tracker = PassTracker(idle_gap=2.0)
    for epc, antenna, count, t in reads:
        tracker.add(read(epc, t, antenna=antenna, count=count))
    (done,) = tracker.poll(now=10.0)
    lines = done.receipt()
    assert sum(line.qty for line in lines) + len(done.unknown) == len({r[0] for r in reads})
    assert all(line.qty == len(set(line.epcs)) for line in lines)
    assert sum(tag.seen_count for tag in done.tags) == sum(r[2] for r in reads)
    assert {(t.epc_hex, t.antenna) for t in done.tags} == {(r[0], r[1]) for r in reads}
