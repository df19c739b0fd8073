"""Serial scanners through a real tty: a pty pair stands in for the cable, pyserial opens the
slave side exactly as it opens /dev/ttyUSB0, and the test writes the scanner's bytes into
the master. Unplugging is closing the master; re-plugging is a new pty behind the same
udev-style symlink."""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.framing import Framing
from hardware.link import Backoff
from hardware.serialport import SerialSettings, SerialSource
from tests.hardware.helpers import reading, until


class Pty:
    """One end for the scanner (master), one tty for the agent (slave), behind a symlink."""

    def __init__(self, link: Path) -> None:
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)
        link.unlink(missing_ok=True)
        link.symlink_to(self.name)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def ptys(tmp_path: Path) -> Iterator[list[Pty]]:
    made: list[Pty] = []
    yield made
    for p in made:
        p.close()


async def test_reads_through_a_tty_with_the_line_settings_applied(
    tmp_path: Path, ptys: list[Pty]
) -> None:
    link = tmp_path / "ttyScanner"
    ptys.append(tty := Pty(link))
    settings = SerialSettings(str(link), baudrate=19200, parity="E", stopbits=2)
    source = SerialSource(
        settings, Framing(terminator=b"\r\n", aim=True), backoff=Backoff(0.02, 0.05)
    )
    async with reading(source) as reads:
        await until(lambda: source.health.state == "connected")
        attrs = termios.tcgetattr(tty.slave)  # what pyserial set on the port
        assert (attrs[4], attrs[5]) == (termios.B19200, termios.B19200)
        # A pty forces 8 data bits and no parity whatever it is told: those are not checked.
        assert attrs[2] & termios.CSTOPB
        for chunk in (b"]E059012341", b"23457\r\n]C1010590123412345715\r", b"\nNOREAD\r\n"):
            tty.write(chunk)
            await asyncio.sleep(0.02)
        assert await reads.wait(2) == ["5901234123457", "010590123412345715"]


async def test_unplugged_and_plugged_back(tmp_path: Path, ptys: list[Pty]) -> None:
    link = tmp_path / "ttyScanner"
    ptys.append(first := Pty(link))
    source = SerialSource(SerialSettings(str(link)), Framing(), backoff=Backoff(0.02, 0.05))
    async with reading(source) as reads:
        await until(lambda: source.health.state == "connected")
        first.write(b"A1\rB2")
        assert await reads.wait(1) == ["A1"]
        first.close()  # the cable is pulled mid-read
        link.unlink()
        await until(lambda: source.health.state == "error")
        assert "cannot open" in (source.health.error or "")
        ptys.append(second := Pty(link))  # plugged back: udev points the link at a new tty
        await until(lambda: source.health.state == "connected")
        second.write(b"C3\r")
        texts = await reads.wait(3)
    assert texts[0] == "A1" and texts[-1] == "C3"
    assert texts in (["A1", "B2", "C3"], ["A1", "C3"])  # B2's bytes may die with the tty


async def test_a_missing_port_is_an_error_not_a_crash(tmp_path: Path) -> None:
    source = SerialSource(
        SerialSettings(str(tmp_path / "nothing")), Framing(), backoff=Backoff(0.02, 0.05)
    )
    async with reading(source):
        await until(lambda: source.health.state == "error")
    assert "nothing" in (source.health.error or "")


def test_bad_stop_bits_are_refused() -> None:
    with pytest.raises(ValueError):
        SerialSettings("/dev/ttyS0", stopbits=3)
