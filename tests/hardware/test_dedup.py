"""De-duplication per device: a label left under a fixed scanner is one read; a picker's
five scans of one item are five when the hold-off is 0."""

from __future__ import annotations

import pytest

from hardware.dedup import Debouncer


def accepted(debouncer: Debouncer, reads: list[tuple[float, str]]) -> list[tuple[float, str]]:
    return [(t, code) for t, code in reads if debouncer.accept(code, now=t)]


def test_rereads_within_the_holdoff_are_one_read() -> None:
    reads = [(0.0, "A"), (0.1, "A"), (0.2, "B"), (0.5, "A"), (1.2, "B"), (1.3, "A")]
    # A at 0.5 is within 1 s of its last sighting (0.1); 1.3 is 0.8 s after 0.5: still one.
    assert accepted(Debouncer(1.0), reads) == [(0.0, "A"), (0.2, "B"), (1.2, "B")]


def test_the_window_slides_while_a_label_stays_in_view() -> None:
    reads = [(i * 0.2, "A") for i in range(50)]  # re-read every 200 ms for 10 s
    assert accepted(Debouncer(1.0), reads) == [(0.0, "A")]
    assert accepted(Debouncer(1.0), [*reads, (11.5, "A")]) == [(0.0, "A"), (11.5, "A")]


def test_holdoff_zero_counts_every_read() -> None:
    reads = [(0.0, "A")] * 5
    assert len(accepted(Debouncer(0), reads)) == 5


def test_memory_is_bounded() -> None:
    debouncer = Debouncer(60.0, max_codes=100)
    for i in range(10_000):
        assert debouncer.accept(f"code-{i}", now=i * 0.001)
    assert len(debouncer._seen) == 100
    assert not debouncer.accept("code-9999", now=10.0)
    assert debouncer.suppressed == 1


def test_negative_holdoff_is_refused() -> None:
    with pytest.raises(ValueError):
        Debouncer(-1)
