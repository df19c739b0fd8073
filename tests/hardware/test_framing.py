"""Line framing of fixed scanners, from raw bytes: packets split anywhere, several reads per
packet, NOREAD, AIM identifiers, headers, noise, over-long lines, no terminator at EOF."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hardware.aim import _BY_MODIFIER, _SYMBOLOGIES, symbology
from hardware.framing import Framing, LineParser, terminator_bytes
from scanner.symbology import SYMBOLOGIES

CR = Framing()
GS = "\x1d"


def run(framing: Framing, packets: list[bytes]) -> tuple[list[tuple[str | None, str]], LineParser]:
    parser = LineParser(framing)
    reads = [r for p in packets for r in parser.feed(p)] + parser.eof()
    return [(r.aim, r.text) for r in reads], parser


CASES = [
    # (id, framing, packets, expected (aim, text) reads)
    ("one read", CR, [b"5901234123457\r"], [(None, "5901234123457")]),
    ("split across packets", CR, [b"5901", b"2341", b"23457\r"], [(None, "5901234123457")]),
    ("several in one packet", CR, [b"A1\rB2\rC3\r"], [(None, "A1"), (None, "B2"), (None, "C3")]),
    ("packets straddle reads", CR, [b"A1\rB", b"2\rC3\r"], [(None, "A1"), (None, "B2"), (None, "C3")]),
    ("CRLF sent, CR expected", CR, [b"A1\r\nB2\r\n"], [(None, "A1"), (None, "B2")]),
    ("LF", Framing(terminator=b"\n"), [b"A1\nB2\n"], [(None, "A1"), (None, "B2")]),
    (
        "CRLF split between packets",
        Framing(terminator=b"\r\n"),
        [b"A1\r", b"\nB2\r\n"],
        [(None, "A1"), (None, "B2")],
    ),
    (
        "STX ... ETX",
        Framing(terminator=b"\x03", prefix=b"\x02"),
        [b"\x02A1\x03\x02B2\x03"],
        [(None, "A1"), (None, "B2")],
    ),
    ("header stripped", Framing(prefix=b"DOCK1:"), [b"DOCK1:A1\r"], [(None, "A1")]),
    (
        "noise before the header",
        Framing(prefix=b"\x02"),
        [b"\xff\xfe\x00\x02A1\r"],
        [(None, "A1")],
    ),
    ("NOREAD ignored", CR, [b"NOREAD\rA1\rNoRead\r"], [(None, "A1")]),
    (
        "several no-read strings",
        Framing(noread=("NOREAD", "ERROR")),
        [b"ERROR\rA1\r"],
        [(None, "A1")],
    ),
    (
        "AIM on: identifier split off",
        Framing(aim=True),
        [b"]C1010590123412345715\r]E05901234123457\r"],
        [("]C1", "010590123412345715"), ("]E0", "5901234123457")],
    ),
    ("AIM on: NOREAD without one", Framing(aim=True), [b"NOREAD\r]A0X1\r"], [("]A0", "X1")]),
    ("AIM off: kept as data", CR, [b"]C1010590123412345715\r"], [(None, "]C1010590123412345715")]),
    ("GS separators kept", CR, [f"0105901234123457{GS}10LOT7\r".encode()], [(None, f"0105901234123457{GS}10LOT7")]),
    ("empty lines skipped", CR, [b"\r\r  \rA1\r"], [(None, "A1")]),
    ("binary noise dropped", CR, [b"\x07\x08\x01garbage\rA1\r"], [(None, "A1")]),
    ("invalid UTF-8 dropped", CR, [b"\xc3\x28\rA1\r"], [(None, "A1")]),
    ("latin-1 when told", Framing(encoding="latin-1"), [b"\xe9t\xe9\r"], [(None, "été")]),
    ("UTF-8 QR text", CR, ["Größe M\r".encode()], [(None, "Größe M")]),
    ("no terminator at EOF: still a read", CR, [b"A1\rB2"], [(None, "A1"), (None, "B2")]),
    ("no terminator, dropping", Framing(flush_on_close=False), [b"A1\rB2"], [(None, "A1")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("framing", "packets", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_framing(
    framing: Framing, packets: list[bytes], expected: list[tuple[str | None, str]]
) -> None:
    assert run(framing, packets)[0] == expected


def test_byte_by_byte_is_the_same_as_one_packet() -> None:
    stream = b"\x02]C1010590123412345715\r\nNOREAD\r\n\x02]E05901234123457\r\n"
    framing = Framing(terminator=b"\r\n", prefix=b"\x02", aim=True)
    whole, _ = run(framing, [stream])
    assert whole == [("]C1", "010590123412345715"), ("]E0", "5901234123457")]
    assert run(framing, [bytes([b]) for b in stream])[0] == whole


def test_over_long_line_is_dropped_and_memory_stays_bounded() -> None:
    framing = Framing(max_line=64)
    parser = LineParser(framing)
    reads = parser.feed(b"A1\r")
    for _ in range(1000):  # 100 kB without a terminator
        reads += parser.feed(b"x" * 100)
        assert len(parser._buffer) <= framing.max_line
    reads += parser.feed(b"tail of the garbage\rB2\r")
    assert [r.text for r in reads] == ["A1", "B2"]
    assert parser.counters.overflows == 1
    assert parser.eof() == []


def test_over_long_line_then_eof_is_not_a_read() -> None:
    parser = LineParser(Framing(max_line=16))
    assert parser.feed(b"y" * 40) == []
    assert parser.eof() == []


def test_counters_say_what_was_thrown_away() -> None:
    _, parser = run(Framing(aim=True), [b"NOREAD\r\x01\x02\r]C1\rA1\r"])
    c = parser.counters
    assert (c.reads, c.noreads, c.noise) == (1, 1, 2)
    assert c.last_discard is not None and "AIM" in c.last_discard


def test_raw_bytes_are_kept() -> None:
    parser = LineParser(Framing(aim=True, prefix=b"\x02"))
    (read,) = parser.feed(b"\x02]E05901234123457\r")
    assert read.raw == b"]E05901234123457"
    assert (read.code, read.symbology) == ("]E05901234123457", "EAN13")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CR", b"\r"),
        ("lf", b"\n"),
        ("CRLF", b"\r\n"),
        ("ETX", b"\x03"),
        ("\x03", b"\x03"),
        ("##", b"##"),
    ],
)
def test_terminator_names(name: str, expected: bytes) -> None:
    assert terminator_bytes(name) == expected


def test_bad_framing_is_refused() -> None:
    with pytest.raises(ValueError):
        terminator_bytes("")
    with pytest.raises(ValueError):
        replace(CR, terminator=b"")
    with pytest.raises(ValueError):
        replace(CR, max_line=4)


@pytest.mark.parametrize(
    ("aim", "name"),
    [
        ("]E0", "EAN13"),
        ("]E4", "EAN8"),
        ("]C1", "Code128"),
        ("]d2", "DataMatrix"),
        ("]Q3", "QRCode"),
        ("]X0", None),
        (None, None),
    ],
)
def test_symbology_names_are_the_scanner_librarys(aim: str | None, name: str | None) -> None:
    assert symbology(aim) == name
    assert name is None or name in SYMBOLOGIES


def test_every_named_symbology_is_one_the_library_knows() -> None:
    assert set(_SYMBOLOGIES.values()) | set(_BY_MODIFIER.values()) <= set(SYMBOLOGIES)
