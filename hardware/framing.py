"""Line framing for fixed scanners on TCP or a serial port: bytes in, reads out.

A scanner sends each read followed by a terminator (CR, LF, CRLF, ETX...), sometimes
preceded by a header (STX, or a configured preamble), sometimes ``NOREAD`` when nothing was
decoded in its trigger window, with or without an AIM identifier. This module is pure: the
transports feed it whatever the socket or port delivered, split anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hardware.aim import split_aim, symbology
from hardware.reads import Decoded

TERMINATORS = {
    "CR": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "ETX": b"\x03",
    "EOT": b"\x04",
    "TAB": b"\t",
}
# Kept inside a read: GS is GS1's FNC1 separator, RS/EOT frame ISO/IEC 15434 data.
_ALLOWED_CONTROLS = frozenset("\x1c\x1d\x1e\x04")
_EDGES = b" \t\r\n\x00"  # stray line ends and padding around a read


def terminator_bytes(name_or_literal: str) -> bytes:
    """``"CRLF"`` → ``b"\\r\\n"``; any other non-empty text is the terminator itself."""
    found = TERMINATORS.get(name_or_literal.upper())
    if found is not None:
        return found
    if not name_or_literal:
        raise ValueError("the terminator is empty")
    return name_or_literal.encode("latin-1")


@dataclass(frozen=True, slots=True)
class Framing:
    """How one scanner frames its reads (match the scanner's own configuration)."""

    terminator: bytes = b"\r"
    prefix: bytes = b""  # header to strip; anything before it is noise
    noread: tuple[str, ...] = ("NOREAD",)  # compared ignoring case
    aim: bool = False  # the scanner prefixes an AIM identifier: split it off
    encoding: str = "utf-8"
    max_line: int = 4096  # longer than this without a terminator: discarded
    flush_on_close: bool = True  # a last read without terminator still counts

    def __post_init__(self) -> None:
        if not self.terminator:
            raise ValueError("the terminator is empty")
        if self.max_line < 16:
            raise ValueError("max_line must be at least 16 bytes")


@dataclass
class Counters:
    """What the parser threw away, and why (shown in logs and ``agent status``)."""

    reads: int = 0
    noreads: int = 0
    noise: int = 0
    overflows: int = 0
    last_discard: str | None = field(default=None)


class LineParser:
    """Feed bytes, get ``Decoded`` reads; the buffer never grows past ``max_line``."""

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self.counters = Counters()
        self._buffer = bytearray()
        self._discarding = False  # inside an over-long line: drop until its terminator
        self._noread = frozenset(n.casefold() for n in framing.noread)

    def feed(self, data: bytes) -> list[Decoded]:
        self._buffer += data
        term = self.framing.terminator
        out: list[Decoded] = []
        while True:
            end = self._buffer.find(term)
            if end < 0:
                break
            frame = bytes(self._buffer[:end])
            del self._buffer[: end + len(term)]
            if self._discarding:
                self._discarding = False
                continue
            read = self._frame(frame)
            if read is not None:
                out.append(read)
        if len(self._buffer) > self.framing.max_line:
            if not self._discarding:
                self._discard(f"a line longer than {self.framing.max_line} bytes", overflow=True)
            self._discarding = True
            # Keep only what could be the start of a terminator split across packets.
            del self._buffer[: len(self._buffer) - (len(term) - 1)]
        return out

    def eof(self) -> list[Decoded]:
        """The connection closed: a read still in the buffer had no terminator."""
        frame, discarding = bytes(self._buffer), self._discarding
        self._buffer.clear()
        self._discarding = False
        if discarding or not frame.strip(_EDGES):
            return []
        if not self.framing.flush_on_close:
            self._discard("a partial read at close (flush_on_close is off)")
            return []
        read = self._frame(frame)
        return [read] if read is not None else []

    def _frame(self, frame: bytes) -> Decoded | None:
        f = self.framing
        if f.prefix:
            at = frame.find(f.prefix)
            if at >= 0:
                frame = frame[at + len(f.prefix) :]
        frame = frame.strip(_EDGES)
        if not frame:
            return None
        try:
            text = frame.decode(f.encoding)
        except UnicodeDecodeError:
            self._discard(f"bytes that are not {f.encoding}: {frame[:32]!r}")
            return None
        if any((ch < " " and ch not in _ALLOWED_CONTROLS) or ch == "\x7f" for ch in text):
            self._discard(f"control characters: {frame[:32]!r}")
            return None
        aim, body = split_aim(text) if f.aim else (None, text)
        if body.casefold() in self._noread:
            self.counters.noreads += 1
            return None
        if not body:
            self._discard(f"an AIM identifier with no data: {text!r}")
            return None
        self.counters.reads += 1
        return Decoded(text=body, raw=frame, aim=aim, symbology=symbology(aim))

    def _discard(self, why: str, *, overflow: bool = False) -> None:
        if overflow:
            self.counters.overflows += 1
        else:
            self.counters.noise += 1
        self.counters.last_discard = why
