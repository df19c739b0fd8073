"""Fixed scanners on a serial port (RS-232, or USB in CDC/virtual COM mode): pyserial on a
reader thread, the same line framing as TCP. A port that disappears (a USB cable pulled)
is reopened with backoff; a udev ``/dev/serial/by-id/...`` path survives re-plugging."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

import serial  # type: ignore[import-untyped]

from hardware.aio import closing, iterate_in_thread
from hardware.framing import Framing, LineParser
from hardware.link import Backoff, Health, describe
from hardware.reads import Decoded

log = logging.getLogger("jxc.agent.serial")
MAX_CHUNK = 4096
POLL = 0.2  # the reader thread's read timeout: how quickly it notices it should stop

Parity = Literal["N", "E", "O", "M", "S"]


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """Line settings; they must match the scanner's (9600 8N1 is the usual default)."""

    port: str
    baudrate: int = 9600
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Parity = "N"
    stopbits: float = 1  # 1, 1.5 or 2
    xonxoff: bool = False
    rtscts: bool = False

    def __post_init__(self) -> None:
        if self.stopbits not in (1, 1.5, 2):
            raise ValueError("stopbits is 1, 1.5 or 2")


class SerialPort(Protocol):
    """The part of ``serial.Serial`` the source uses (a fake implements it in tests)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def close(self) -> None: ...


def open_port(settings: SerialSettings) -> SerialPort:
    """Open with pyserial, exclusively (no other process may read the same port)."""
    port: SerialPort = serial.Serial(
        port=settings.port,
        baudrate=settings.baudrate,
        bytesize=settings.bytesize,
        parity=settings.parity,
        stopbits=settings.stopbits,
        xonxoff=settings.xonxoff,
        rtscts=settings.rtscts,
        timeout=POLL,
        exclusive=True,
    )
    return port


def _chunks(port: SerialPort, stop: threading.Event) -> Iterator[bytes]:
    while not stop.is_set():
        first = port.read(1)  # blocks up to POLL
        if first:
            yield first + port.read(min(port.in_waiting, MAX_CHUNK))


class SerialSource:
    """Reads lines from a serial port; reopens it when it fails or vanishes."""

    kind = "serial"

    def __init__(
        self,
        settings: SerialSettings,
        framing: Framing,
        *,
        health: Health | None = None,
        backoff: Backoff | None = None,
        opener: Callable[[SerialSettings], SerialPort] = open_port,
    ) -> None:
        self.settings, self.framing, self.opener = settings, framing, opener
        self.health = health or Health()
        self.backoff = backoff or Backoff()
        self.parser = LineParser(framing)

    async def reads(self) -> AsyncIterator[Decoded]:
        name = self.settings.port
        while True:
            try:
                port = await asyncio.to_thread(self.opener, self.settings)
            except (OSError, ValueError) as exc:  # SerialException is an OSError
                self.health.fail(f"cannot open {name}: {describe(exc)}")
                await asyncio.sleep(self.backoff.next())
                continue
            self.health.up()
            log.info("opened %s", name)
            self.parser = LineParser(self.framing)
            reason = "the port closed"
            try:
                chunks = iterate_in_thread(functools.partial(_chunks, port), name=f"serial {name}")
                async with closing(chunks):
                    async for chunk in chunks:
                        self.backoff.reset()
                        for read in self.parser.feed(chunk):
                            yield read
            except OSError as exc:
                reason = describe(exc)
            finally:
                with contextlib.suppress(OSError):
                    port.close()
            for read in self.parser.eof():
                yield read
            self.health.down(f"{name}: {reason}")
            log.warning("%s: %s; reopening", name, reason)
            await asyncio.sleep(self.backoff.next())
