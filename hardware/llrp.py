"""LLRP adapter for fixed UHF RFID readers (Impinj Speedway / R700, Zebra FX7500 / FX9600).

sllurp supplies the protocol: the binary codec (``LLRPMessage``) and the client state machine
(``LLRPClient``: capabilities, config, reset, ROSpec, inventory, keepalive acks). sllurp is
GPL-3.0-only, so it is the optional extra ``jxc[llrp]``: this module imports without it and
only ``LLRPSource`` (or ``require_sllurp``) says what to install.

sllurp's own transport, ``LLRPReaderClient``, is not used: it runs a thread per reader around a
blocking ``select``, buffers whatever length a message header claims, and retries a lost
reader every 60 s a fixed number of times, then gives up. The socket is driven here with
asyncio instead — frames bounded by ``max_message_bytes``, a bounded queue towards the
consumer, a dead link noticed by missing keepalives, and reconnection with backoff forever.

Parsing is separate from I/O: ``parse_tag_report`` turns one decoded RO_ACCESS_REPORT into
``TagRead``s, ``ReaderClock`` maps the reader's timestamps onto the agent's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from hardware.link import Backoff, Health, describe
from hardware.rfid import TagRead
from scanner.epc import MAX_EPC_BYTES

try:  # GPL-3.0-only, hence an optional extra: see require_sllurp()
    from sllurp import llrp as _sllurp
    from sllurp.llrp_errors import (
        LLRPError,
        ReaderConfigurationError,
    )

    _SLLURP_ERRORS: tuple[type[Exception], ...] = (LLRPError, ReaderConfigurationError)
except ImportError:
    _sllurp = None
    _SLLURP_ERRORS = ()

log = logging.getLogger(__name__)

LLRP_PORT = 5084
_HEADER = struct.Struct("!HII")  # 3 reserved bits, version, type | length | message ID
_MAX_EPC_HEX = 2 * MAX_EPC_BYTES
# What each tag report must carry for passes: which antenna, how strong, when, how often.
_TAG_CONTENT = {
    "EnableROSpecID": False,
    "EnableSpecIndex": False,
    "EnableInventoryParameterSpecID": False,
    "EnableAntennaID": True,
    "EnableChannelIndex": False,
    "EnablePeakRSSI": True,
    "EnableFirstSeenTimestamp": True,
    "EnableLastSeenTimestamp": True,
    "EnableTagSeenCount": True,
    "EnableAccessSpecID": False,
    "C1G2EPCMemorySelector": {"EnableCRC": False, "EnablePCBits": False},
}


class LLRPUnavailable(RuntimeError):
    """An LLRP device is configured but sllurp (the ``jxc[llrp]`` extra) is not installed."""


class LinkError(Exception):
    """The connection cannot go on: the reader refused it, or broke LLRP framing."""


def require_sllurp() -> None:
    """Raise ``LLRPUnavailable`` unless sllurp is importable (call when loading config)."""
    if _sllurp is None:
        raise LLRPUnavailable(
            "this device is an LLRP RFID reader, which needs sllurp (GPL-3.0-only, not "
            "installed by default): pip install 'jxc[llrp]'"
        )


class ReaderClock:
    """Map a reader's timestamps onto the agent's clock.

    Readers stamp reads with their own clock (UTC if they have one, else uptime), which is
    rarely the agent's: a few seconds of skew would split or merge passes cut on a 2 s idle
    gap. The offset is the smallest seen ``arrival - reader time`` (network and reporting
    delay only add to it), so a mapped time is never later than its arrival. A reader clock
    that jumps back by more than ``resync_after`` seconds (NTP, reboot) is re-learned.
    """

    def __init__(self, resync_after: float = 30.0) -> None:
        self.resync_after = resync_after
        self.offset: float | None = None

    def observe(self, reader_time: float, received_at: float) -> None:
        """Learn from the newest reader time of a report and when the report arrived."""
        lag = received_at - reader_time
        if self.offset is None or lag < self.offset or lag - self.offset > self.resync_after:
            self.offset = lag

    def to_local(self, reader_time: float) -> float:
        return reader_time + (self.offset or 0.0)


def _first(value: object) -> object:
    # sllurp < 2 wrapped TV values in 1-tuples; accept both shapes.
    return value[0] if isinstance(value, tuple) and value else value


def _int(entry: Mapping[str, object], *keys: str) -> int | None:
    for key in keys:
        value = _first(entry.get(key))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _epc_hex(entry: Mapping[str, object]) -> str | None:
    """The EPC as upper-case hex; sllurp hands it over already hex-encoded (ASCII bytes)."""
    value = _first(entry.get("EPC", entry.get("EPC-96")))
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(value, str) or not value or len(value) > _MAX_EPC_HEX:
        return None
    try:
        int(value, 16)
    except ValueError:
        return None
    return value.upper()


def parse_tag_report(
    tags: Sequence[Mapping[str, object]],
    *,
    reader: str,
    received_at: float,
    clock: ReaderClock,
) -> list[TagRead]:
    """Turn the TagReportData list of one RO_ACCESS_REPORT into ``TagRead``s.

    Times come from the reader's first/last-seen timestamps (UTC or uptime, microseconds)
    mapped through ``clock``; when the reader sent none, the report's arrival time is used.
    Entries without a usable EPC are skipped; a missing antenna is 0, a missing count 1.
    """
    stamps = [
        _int(entry, "LastSeenTimestampUTC", "LastSeenTimestampUptime")
        or _int(entry, "FirstSeenTimestampUTC", "FirstSeenTimestampUptime")
        for entry in tags
    ]
    known = [s for s in stamps if s is not None]
    if known:
        clock.observe(max(known) / 1e6, received_at)
    reads = []
    for entry in tags:
        epc = _epc_hex(entry)
        if epc is None:
            log.debug("%s: skipped a tag report entry without a usable EPC", reader)
            continue
        first_us = _int(entry, "FirstSeenTimestampUTC", "FirstSeenTimestampUptime")
        last_us = _int(entry, "LastSeenTimestampUTC", "LastSeenTimestampUptime")
        first_us = first_us if first_us is not None else last_us
        last_us = last_us if last_us is not None else first_us
        first = received_at if first_us is None else clock.to_local(first_us / 1e6)
        last = received_at if last_us is None else clock.to_local(last_us / 1e6)
        rssi = _int(entry, "PeakRSSI")
        reads.append(
            TagRead(
                epc_hex=epc,
                antenna=_int(entry, "AntennaID") or 0,
                rssi=None if rssi is None else float(rssi),
                seen_count=max(1, _int(entry, "TagSeenCount") or 1),
                first_seen=first,
                last_seen=last,
                reader=reader,
            )
        )
    return reads


class _Session:
    """One TCP connection to the reader and the sllurp state machine driving it."""

    def __init__(self, client: Any, writer: asyncio.StreamWriter) -> None:
        self.client = client
        self.writer = writer
        self.inventorying = False
        self.ended = asyncio.Event()


class LLRPSource:
    """Tag reads from one LLRP reader, as an async iterator, reconnecting on its own.

    ``async for read in source.reads()`` connects in the background, resets the reader,
    starts inventory on ``antennas`` and yields a ``TagRead`` per TagReportData entry. When
    the link drops (reader reboot, cable, missed keepalives) it reconnects with backoff and
    carries on; reads keep flowing into whatever ``PassTracker`` the consumer feeds, so a
    short outage inside an idle gap does not split a pass. ``close()`` (or leaving
    ``async with``) stops inventory politely when the reader answers within
    ``close_timeout``, closes the connection and ends the iterator. ``health`` follows the
    link (connected once inventory runs; disconnected or error, with the reason, otherwise).

    The reader sends a report every ``report_every_n_tags`` tag observations or
    ``report_timeout_ms`` milliseconds, whichever comes first. ``tx_power`` is an index into
    the reader's power table (0 = the maximum); ``tx_power_dbm`` picks the closest level.
    Read times are in ``clock`` (monotonic by default): give the same clock to
    ``PassTracker.poll``.
    """

    def __init__(
        self,
        host: str,
        port: int = LLRP_PORT,
        *,
        antennas: Sequence[int] = (1, 2),
        tx_power: int = 0,
        tx_power_dbm: float | None = None,
        report_every_n_tags: int = 100,
        report_timeout_ms: int = 500,
        session: int = 2,
        tag_population: int = 32,
        mode_identifier: int | None = None,
        reader_name: str | None = None,
        keepalive_s: float = 5.0,
        connect_timeout: float = 10.0,
        close_timeout: float = 2.0,
        queue_size: int = 256,
        max_message_bytes: int = 1 << 20,
        backoff: Backoff | None = None,
        health: Health | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        require_sllurp()
        if not antennas or len(set(antennas)) != len(antennas):
            raise ValueError("antennas must be a non-empty list of distinct antenna numbers")
        if not all(1 <= a <= 0xFFFF for a in antennas):
            raise ValueError("antenna numbers start at 1")
        if report_every_n_tags < 1 or report_timeout_ms < 1:
            # Either one at 0 means the AISpec never ends, so the reader never reports.
            raise ValueError("report_every_n_tags and report_timeout_ms must be positive")
        if not 0 <= session <= 3:
            raise ValueError("session is a Gen2 session, 0 to 3")
        if keepalive_s <= 0 or connect_timeout <= 0 or close_timeout <= 0 or queue_size < 1:
            raise ValueError("timeouts and queue_size must be positive")
        if max_message_bytes < _HEADER.size:
            raise ValueError("max_message_bytes is smaller than an LLRP header")
        self.host = host
        self.port = port
        self.reader_name = reader_name or f"{host}:{port}"
        self.keepalive_s = keepalive_s
        self.connect_timeout = connect_timeout
        self.close_timeout = close_timeout
        self.max_message_bytes = max_message_bytes
        self._clock = clock
        self.backoff = backoff or Backoff(initial=0.5, maximum=30.0)
        self.health = health or Health()
        self._antennas = tuple(antennas)
        self._config: dict[str, object] = {
            "tx_power": tx_power,
            "tx_power_dbm": None if tx_power_dbm is None else float(tx_power_dbm),
            "report_every_n_tags": report_every_n_tags,
            "report_timeout_ms": report_timeout_ms,
            "session": session,
            "tag_population": tag_population,
            "mode_identifier": mode_identifier,
            "tag_content_selector": _TAG_CONTENT,
            "keepalive_interval": round(keepalive_s * 1000),
            "reset_on_connect": True,
            "start_inventory": True,
            "reconnect": False,  # done here, with backoff
        }
        self._queue: asyncio.Queue[list[TagRead] | None] = asyncio.Queue(queue_size)
        self._task: asyncio.Task[None] | None = None
        self._live: _Session | None = None
        self._closing = False
        self.connects = 0  # sessions that reached inventory (for health and tests)

    async def __aenter__(self) -> LLRPSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def reads(self) -> AsyncIterator[TagRead]:
        """Yield tag reads until ``close()``; connecting and reconnecting happen meanwhile.

        The iteration owns the connection: leaving it (``break``, cancellation) closes the
        source, and reports not yet handed out are dropped.
        """
        if self._task is None and not self._closing:
            self._task = asyncio.create_task(self._run(), name=f"llrp {self.reader_name}")
        try:
            while True:
                if self._closing and self._queue.empty():
                    return
                batch = await self._queue.get()
                if batch is None:
                    return
                for read in batch:
                    yield read
        finally:
            dropped = 0
            while not self._queue.empty():  # unblock the connection task for a polite close
                dropped += len(self._queue.get_nowait() or ())
            if dropped:
                log.info("%s: %d reads dropped at close", self.reader_name, dropped)
            await self.close()

    async def close(self) -> None:
        """Stop inventory, say goodbye to the reader if it listens, end ``reads()``."""
        if self._closing:
            return
        self._closing = True
        try:
            live = self._live
            if live is not None and live.inventorying:
                await self._goodbye(live)
        finally:
            if self._task is not None:
                self._task.cancel()
                await asyncio.wait({self._task})
            self.health.down("closed")
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)  # if full, reads() ends once it has drained it

    async def _goodbye(self, live: _Session) -> None:
        """Delete our specs and CLOSE_CONNECTION, within ``close_timeout``, else give up."""
        stopped = asyncio.Event()
        live.client.stopPolitely(onCompletion=lambda *_: stopped.set())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.close_timeout):
                await stopped.wait()
                live.client.sendMessage({"CLOSE_CONNECTION": {}})
                await live.ended.wait()

    async def _run(self) -> None:
        while not self._closing:
            sessions = self.connects
            try:
                await self._session()
                reason = "the reader closed the connection"
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, asyncio.IncompleteReadError, LinkError) as exc:
                reason = describe(exc)
            except _SLLURP_ERRORS as exc:
                reason = f"the reader refused the configuration: {describe(exc)}"
            except Exception as exc:  # keep a dock running whatever one reader does
                log.exception("%s: unexpected error on the LLRP connection", self.reader_name)
                reason = describe(exc)
            if self._closing:
                return
            if self.connects > sessions:
                self.health.down(reason)  # it was working: most likely back soon
            else:
                self.health.fail(reason)  # never got to inventory on this attempt
            delay = self.backoff.next()
            log.warning("%s: %s; reconnecting in %.2f s", self.reader_name, reason, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        """Connect, configure, and relay reports until the connection ends."""
        async with asyncio.timeout(self.connect_timeout):
            stream, writer = await asyncio.open_connection(self.host, self.port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A fresh config per connection: sllurp's client writes into it (power per antenna).
        config = _sllurp.LLRPReaderConfig({**self._config, "antennas": list(self._antennas)})
        client = _sllurp.LLRPClient(config, transport_tx_write=writer.write)
        live = self._live = _Session(client, writer)
        clock = ReaderClock()
        setup_deadline = asyncio.get_running_loop().time() + self.connect_timeout
        try:
            while True:
                if live.inventorying:
                    # The reader sends KEEPALIVE every keepalive_s: three missed is a dead link.
                    timeout = 3 * self.keepalive_s + 1
                    silence = f"nothing from the reader for {timeout:.1f} s"
                else:
                    timeout = setup_deadline - asyncio.get_running_loop().time()
                    silence = f"inventory not started within {self.connect_timeout:.1f} s"
                try:
                    frame = await self._read_frame(stream, max(timeout, 0.0))
                except TimeoutError:
                    raise TimeoutError(silence) from None
                if not await self._dispatch(live, frame, clock):
                    return
        finally:
            self._live = None
            live.ended.set()
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _read_frame(self, stream: asyncio.StreamReader, timeout: float) -> bytes:
        async with asyncio.timeout(timeout):
            head = await stream.readexactly(_HEADER.size)
            _, length, _ = _HEADER.unpack(head)
            if not _HEADER.size <= length <= self.max_message_bytes:
                raise LinkError(f"message length {length} out of bounds")
            return head + await stream.readexactly(length - _HEADER.size)

    async def _dispatch(self, live: _Session, frame: bytes, clock: ReaderClock) -> bool:
        """Handle one message; False once the reader confirmed CLOSE_CONNECTION."""
        try:
            message = _sllurp.LLRPMessage(msgbytes=frame)
        except Exception as exc:  # sllurp's decoders raise whatever a bad body triggers
            msg_type = _HEADER.unpack_from(frame)[0] & 0x3FF
            log.warning(
                "%s: skipped undecodable message type %d: %r", self.reader_name, msg_type, exc
            )
            return True
        name = message.getName()
        if name == "READER_EVENT_NOTIFICATION":
            event = message.msgdict[name].get("ReaderEventNotificationData") or {}
            status = (event.get("ConnectionAttemptEvent") or {}).get("Status", "Success")
            if status != "Success":  # e.g. another client already holds the reader
                raise LinkError(f"the reader refused the connection: {status}")
        if name == "RO_ACCESS_REPORT":
            tags = message.msgdict[name].get("TagReportData") or []
            reads = parse_tag_report(
                tags, reader=self.reader_name, received_at=self._clock(), clock=clock
            )
            if reads:
                await self._queue.put(reads)  # backpressure: stop reading, the reader buffers
            return True
        if name == "CLOSE_CONNECTION_RESPONSE":
            return not self._closing
        live.client.handleMessage(message)
        await live.writer.drain()
        if (
            not live.inventorying
            and live.client.state == _sllurp.LLRPReaderState.STATE_INVENTORYING
        ):
            live.inventorying = True
            self.connects += 1
            self.backoff.reset()
            self.health.up()
            log.info("%s: inventory running", self.reader_name)
        return True
