"""A fake fixed RFID reader speaking binary LLRP 1.0.1 on a local TCP socket.

Every byte this peer sends is packed here with ``struct`` from the LLRP 1.0.1 specification
(message header, TLV and TV parameters); nothing is borrowed from sllurp, so the client's
decoding is checked against an independent encoder. It answers what a client sends (reader
capabilities and config, ROSpec and AccessSpec management, keepalives, close) with genuine
responses, records what it was asked, and — once a ROSpec is enabled — sends RO_ACCESS_REPORTs
built from the sightings a test hands it, with exactly the fields the client's
TagReportContentSelector asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Message types (LLRP 1.0.1 §16.1)
GET_READER_CAPABILITIES = 1
GET_READER_CONFIG = 2
SET_READER_CONFIG = 3
CLOSE_CONNECTION_RESPONSE = 4
GET_READER_CAPABILITIES_RESPONSE = 11
GET_READER_CONFIG_RESPONSE = 12
SET_READER_CONFIG_RESPONSE = 13
CLOSE_CONNECTION = 14
ADD_ROSPEC = 20
DELETE_ROSPEC = 21
START_ROSPEC = 22
STOP_ROSPEC = 23
ENABLE_ROSPEC = 24
DISABLE_ROSPEC = 25
ADD_ACCESSSPEC = 40
DELETE_ACCESSSPEC = 41
ENABLE_ACCESSSPEC = 42
DISABLE_ACCESSSPEC = 43
RO_ACCESS_REPORT = 61
KEEPALIVE = 62
READER_EVENT_NOTIFICATION = 63
ENABLE_EVENTS_AND_REPORTS = 64
KEEPALIVE_ACK = 72
ERROR_MESSAGE = 100

MESSAGE_NAMES = {
    GET_READER_CAPABILITIES: "GET_READER_CAPABILITIES",
    GET_READER_CONFIG: "GET_READER_CONFIG",
    SET_READER_CONFIG: "SET_READER_CONFIG",
    CLOSE_CONNECTION: "CLOSE_CONNECTION",
    ADD_ROSPEC: "ADD_ROSPEC",
    DELETE_ROSPEC: "DELETE_ROSPEC",
    START_ROSPEC: "START_ROSPEC",
    STOP_ROSPEC: "STOP_ROSPEC",
    ENABLE_ROSPEC: "ENABLE_ROSPEC",
    DISABLE_ROSPEC: "DISABLE_ROSPEC",
    ADD_ACCESSSPEC: "ADD_ACCESSSPEC",
    DELETE_ACCESSSPEC: "DELETE_ACCESSSPEC",
    ENABLE_ACCESSSPEC: "ENABLE_ACCESSSPEC",
    DISABLE_ACCESSSPEC: "DISABLE_ACCESSSPEC",
    ENABLE_EVENTS_AND_REPORTS: "ENABLE_EVENTS_AND_REPORTS",
    KEEPALIVE_ACK: "KEEPALIVE_ACK",
}
# Request -> response type; requests without an entry get no response (per the spec).
RESPONSES = {
    GET_READER_CAPABILITIES: GET_READER_CAPABILITIES_RESPONSE,
    GET_READER_CONFIG: GET_READER_CONFIG_RESPONSE,
    SET_READER_CONFIG: SET_READER_CONFIG_RESPONSE,
    CLOSE_CONNECTION: CLOSE_CONNECTION_RESPONSE,
    ADD_ROSPEC: 30,
    DELETE_ROSPEC: 31,
    START_ROSPEC: 32,
    STOP_ROSPEC: 33,
    ENABLE_ROSPEC: 34,
    DISABLE_ROSPEC: 35,
    ADD_ACCESSSPEC: 50,
    DELETE_ACCESSSPEC: 51,
    ENABLE_ACCESSSPEC: 52,
    DISABLE_ACCESSSPEC: 53,
}

# Status codes (§16.2.8.1)
SUCCESS = 0
UNSUPPORTED_MESSAGE = 109
A_INVALID = 300

# TagReportContentSelector flag bits (§16.2.7.1), most significant first
SELECTOR_BITS = {
    "ROSpecID": 15,
    "SpecIndex": 14,
    "InventoryParameterSpecID": 13,
    "AntennaID": 12,
    "ChannelIndex": 11,
    "PeakRSSI": 10,
    "FirstSeenTimestamp": 9,
    "LastSeenTimestamp": 8,
    "TagSeenCount": 7,
    "AccessSpecID": 6,
}

IMPINJ_PEN = 25882  # IANA private enterprise number, as DeviceManufacturerName
POWER_TABLE = [(i + 1, 1000 + 25 * i) for i in range(81)]  # 10.00 … 30.00 dBm
MAX_FRAME = 1 << 20


def header(msg_type: int, body_len: int, msg_id: int) -> bytes:
    """Message header: 3 reserved bits, 3-bit version (1), 10-bit type, length, ID."""
    return struct.pack("!HII", (1 << 10) | msg_type, 10 + body_len, msg_id)


def message(msg_type: int, body: bytes, msg_id: int = 0) -> bytes:
    return header(msg_type, len(body), msg_id) + body


def tlv(param_type: int, body: bytes) -> bytes:
    return struct.pack("!HH", param_type, 4 + len(body)) + body


def tv(param_type: int, fmt: str, value: int | bytes) -> bytes:
    return struct.pack("!B" + fmt, 0x80 | param_type, value)


def llrp_status(code: int = SUCCESS, description: str = "") -> bytes:
    text = description.encode()
    return tlv(287, struct.pack("!HH", code, len(text)) + text)


def utf8v(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def capabilities(max_antennas: int) -> bytes:
    """GET_READER_CAPABILITIES_RESPONSE body of a 4-port ETSI reader."""
    general = tlv(
        137,
        struct.pack("!HHII", max_antennas, 0b11 << 14, IMPINJ_PEN, 2001002)
        + utf8v("7.6.0.240")
        + tlv(139, struct.pack("!Hh", 1, 0))  # ReceiveSensitivityTableEntry
        + b"".join(
            tlv(140, struct.pack("!HHB", ant, 1, 1))  # PerAntennaAirProtocol: C1G2
            for ant in range(1, max_antennas + 1)
        )
        + tlv(141, struct.pack("!HH", 4, 4)),  # GPIOCapabilities
    )
    llrp = tlv(142, struct.pack("!BBHIIIII", 0b01000000, 7, 0, 1, 32, 1, 508, 8))
    power = b"".join(tlv(145, struct.pack("!Hh", idx, value)) for idx, value in POWER_TABLE)
    channels = [865700, 866300, 866900, 867500]  # kHz
    frequency = tlv(
        146,
        struct.pack("!B", 0)  # not hopping: ETSI fixed channels
        + tlv(148, struct.pack("!H", len(channels)) + struct.pack(f"!{len(channels)}I", *channels)),
    )
    mode = tlv(
        328,
        tlv(329, struct.pack("!IBBBBIIIII", 1002, 0x80, 2, 0, 3, 160000, 1500, 6250, 25000, 0)),
    )
    regulatory = tlv(143, struct.pack("!HH", 276, 2) + tlv(144, power + frequency + mode))
    air = tlv(327, struct.pack("!BH", 0b11000000, 2))
    return llrp_status() + general + llrp + regulatory + air


def reader_config(antennas: int) -> bytes:
    """GET_READER_CONFIG_RESPONSE body: identification and antenna properties."""
    ident = tlv(218, struct.pack("!BH", 0, 8) + bytes.fromhex("0016250000aabbcc"))
    props = b"".join(
        tlv(221, struct.pack("!BHh", 0x80, ant, 600)) for ant in range(1, antennas + 1)
    )
    keepalive = tlv(220, struct.pack("!BI", 0, 0))
    return llrp_status() + ident + props + keepalive


def connection_event(status: int, micros: int) -> bytes:
    """READER_EVENT_NOTIFICATION body: UTC timestamp + ConnectionAttemptEvent."""
    return tlv(246, tlv(128, struct.pack("!Q", micros)) + tlv(256, struct.pack("!H", status)))


# Parameters that carry fixed fields and then sub-parameters, with the fields' size.
_CONTAINERS: dict[int, Callable[[bytes], int]] = {
    177: lambda b: 6,  # ROSpec
    178: lambda b: 0,  # ROBoundarySpec
    179: lambda b: 1,  # ROSpecStartTrigger
    182: lambda b: 5,  # ROSpecStopTrigger
    183: lambda b: 2 + 2 * struct.unpack_from("!H", b)[0],  # AISpec: antenna list
    184: lambda b: 5,  # AISpecStopTrigger
    186: lambda b: 3,  # InventoryParameterSpec
    222: lambda b: 2,  # AntennaConfiguration
    330: lambda b: 1,  # C1G2InventoryCommand
    331: lambda b: 1,  # C1G2Filter
    237: lambda b: 3,  # ROReportSpec
    238: lambda b: 2,  # TagReportContentSelector
    244: lambda b: 0,  # ReaderEventNotificationSpec
}


def walk_params(data: bytes, found: dict[int, list[bytes]]) -> None:
    """Index every TLV parameter (recursively) by type; raises ValueError if malformed."""
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("truncated parameter header")
        raw_type, length = struct.unpack_from("!HH", data, pos)
        if raw_type & 0x8000 or length < 4 or pos + length > len(data):
            raise ValueError(f"bad parameter at {pos}: type {raw_type} length {length}")
        param_type = raw_type & 0x3FF
        body = data[pos + 4 : pos + length]
        found.setdefault(param_type, []).append(body)
        if param_type in _CONTAINERS:
            walk_params(body[_CONTAINERS[param_type](body) :], found)
        pos += length


@dataclass(frozen=True, slots=True)
class ROSpecInfo:
    """What the client asked for in ADD_ROSPEC, decoded here independently."""

    rospec_id: int
    antennas: tuple[int, ...]
    selector: frozenset[str]
    report_trigger: int
    report_n: int
    stop_trigger: int
    n_tags: int | None
    timeout_ms: int | None
    tx_power_index: tuple[int, ...]
    session: int | None
    tag_population: int | None

    @classmethod
    def parse(cls, body: bytes) -> ROSpecInfo:
        found: dict[int, list[bytes]] = {}
        walk_params(body, found)
        (rospec,) = found[177]
        (aispec,) = found[183]
        count = struct.unpack_from("!H", aispec)[0]
        antennas = struct.unpack_from(f"!{count}H", aispec, 2)
        (report,) = found[237]
        trigger, n = struct.unpack_from("!BH", report)
        flags = struct.unpack_from("!H", found[238][0])[0]
        selector = frozenset(k for k, bit in SELECTOR_BITS.items() if flags & (1 << bit))
        (ai_stop,) = found[184]
        n_tags = timeout = None
        if 185 in found:
            _, _, n_tags, _, _, timeout = struct.unpack("!BBHHHI", found[185][0])
        session = population = None
        if 336 in found:
            bits, population, _ = struct.unpack("!BHI", found[336][0])
            session = bits >> 6
        return cls(
            rospec_id=struct.unpack_from("!I", rospec)[0],
            antennas=tuple(antennas),
            selector=selector,
            report_trigger=trigger,
            report_n=n,
            stop_trigger=ai_stop[0],
            n_tags=n_tags,
            timeout_ms=timeout,
            tx_power_index=tuple(struct.unpack("!HHH", b)[2] for b in found.get(224, [])),
            session=session,
            tag_population=population,
        )


@dataclass(frozen=True, slots=True)
class Sighting:
    """One TagReportData entry: a tag on one antenna over one reporting period."""

    epc: bytes
    antenna: int
    first_seen_us: int
    last_seen_us: int
    count: int = 1
    rssi: int = -55
    epc96: bool = True  # EPC-96 TV parameter when the EPC is 96 bits; EPCData otherwise


def tag_report_data(s: Sighting, selector: frozenset[str], rospec_id: int) -> bytes:
    """A TagReportData parameter with the fields the selector enables, in spec order."""
    if s.epc96 and len(s.epc) == 12:
        out = tv(13, "12s", s.epc)
    else:
        out = tlv(241, struct.pack("!H", 8 * len(s.epc)) + s.epc)
    if "ROSpecID" in selector:
        out += tv(9, "I", rospec_id)
    if "SpecIndex" in selector:
        out += tv(14, "H", 1)
    if "InventoryParameterSpecID" in selector:
        out += tv(10, "H", 1)
    if "AntennaID" in selector:
        out += tv(1, "H", s.antenna)
    if "PeakRSSI" in selector:
        out += tv(6, "b", s.rssi)
    if "ChannelIndex" in selector:
        out += tv(7, "H", 1)
    if "FirstSeenTimestamp" in selector:
        out += tv(2, "Q", s.first_seen_us)
    if "LastSeenTimestamp" in selector:
        out += tv(4, "Q", s.last_seen_us)
    if "TagSeenCount" in selector:
        out += tv(8, "H", s.count)
    return tlv(240, out)


@dataclass
class Connection:
    """One client connection and what happened on it."""

    writer: asyncio.StreamWriter
    received: list[str] = field(default_factory=list)
    reset_requested: bool | None = None
    keepalive_ms: int | None = None
    rospecs: dict[int, ROSpecInfo] = field(default_factory=dict)
    enabled: ROSpecInfo | None = None
    inventorying: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    keepalive_acks: int = 0
    clean_close: bool = False


class FakeReader:
    """The peer. ``await start()``, point a client at ``port``, drive it from the test."""

    def __init__(
        self,
        *,
        max_antennas: int = 4,
        refuse_first: int = 0,
        send_keepalives: bool = True,
        clock_us: Callable[[], int] | None = None,
    ) -> None:
        self.max_antennas = max_antennas
        self.refuse_first = refuse_first  # answer the first N connections "already connected"
        self.send_keepalives = send_keepalives
        self._clock_us = clock_us or (lambda: 1_700_000_000_000_000)
        self.connections: list[Connection] = []
        self.attempts = 0
        self._server: asyncio.Server | None = None
        self._new_connection = asyncio.Event()
        self._next_id = 1000
        self.port = 0

    async def start(self) -> None:
        """Listen on 127.0.0.1 (again, on the same port, after ``stop_listening``)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop_listening(self) -> None:
        """Refuse new connections (reader rebooting); the live one, if any, stays."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def stop(self) -> None:
        for conn in self.connections:
            conn.writer.transport.abort()
        self.stop_listening()
        async with asyncio.timeout(5):
            for conn in self.connections:
                await conn.closed.wait()

    @property
    def current(self) -> Connection:
        return self.connections[-1]

    async def wait_inventorying(self, connection: int, timeout: float = 10.0) -> Connection:
        """Wait until the ``connection``-th accepted client (1-based) has enabled a ROSpec."""
        async with asyncio.timeout(timeout):
            while len(self.connections) < connection:
                self._new_connection.clear()
                await self._new_connection.wait()
            conn = self.connections[connection - 1]
            await conn.inventorying.wait()
            return conn

    async def send_report(self, sightings: Sequence[Sighting]) -> None:
        """One RO_ACCESS_REPORT with a TagReportData per sighting, on the live connection."""
        conn = self.current
        assert conn.enabled is not None, "client never enabled a ROSpec"
        body = b"".join(
            tag_report_data(s, conn.enabled.selector, conn.enabled.rospec_id) for s in sightings
        )
        await self._send(conn, RO_ACCESS_REPORT, body)

    async def send_raw(self, data: bytes) -> None:
        self.current.writer.write(data)
        await self.current.writer.drain()

    def drop(self) -> None:
        """Cut the live connection without any LLRP goodbye (cable pulled, reader reboot)."""
        transport = self.current.writer.transport
        transport.abort()

    async def _send(self, conn: Connection, msg_type: int, body: bytes, msg_id: int = 0) -> None:
        if msg_id == 0:
            self._next_id += 1
            msg_id = self._next_id
        conn.writer.write(message(msg_type, body, msg_id))
        await conn.writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.attempts += 1
        conn = Connection(writer)
        try:
            if self.attempts <= self.refuse_first:
                # Status 2: "Failed (a Client initiated connection already exists)"
                await self._send(conn, READER_EVENT_NOTIFICATION, connection_event(2, 0))
                return
            self.connections.append(conn)
            self._new_connection.set()
            await self._send(conn, READER_EVENT_NOTIFICATION, connection_event(0, self._us()))
            keepalive: asyncio.Task[None] | None = None
            try:
                while True:
                    head = await reader.readexactly(10)
                    type_field, length, msg_id = struct.unpack("!HII", head)
                    if not 10 <= length <= MAX_FRAME or type_field >> 10 & 7 != 1:
                        return
                    body = await reader.readexactly(length - 10)
                    msg_type = type_field & 0x3FF
                    conn.received.append(MESSAGE_NAMES.get(msg_type, f"TYPE_{msg_type}"))
                    conn.clean_close = msg_type == CLOSE_CONNECTION
                    await self._handle(conn, msg_type, msg_id, body)
                    if (
                        msg_type == SET_READER_CONFIG
                        and keepalive is None
                        and conn.keepalive_ms
                        and self.send_keepalives
                    ):
                        keepalive = asyncio.create_task(self._keepalives(conn))
                    if msg_type == CLOSE_CONNECTION:
                        return
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            finally:
                if keepalive is not None:
                    keepalive.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                        await keepalive
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            conn.closed.set()

    async def _handle(self, conn: Connection, msg_type: int, msg_id: int, body: bytes) -> None:
        if msg_type == KEEPALIVE_ACK:
            conn.keepalive_acks += 1
        if msg_type not in RESPONSES:
            if msg_type not in (KEEPALIVE_ACK, ENABLE_EVENTS_AND_REPORTS):
                await self._send(conn, ERROR_MESSAGE, llrp_status(UNSUPPORTED_MESSAGE), msg_id)
            return
        reply = llrp_status()
        if msg_type == GET_READER_CAPABILITIES:
            reply = capabilities(self.max_antennas)
        elif msg_type == GET_READER_CONFIG:
            reply = reader_config(self.max_antennas)
        elif msg_type == SET_READER_CONFIG:
            conn.reset_requested = bool(body[0] & 0x80)
            found: dict[int, list[bytes]] = {}
            walk_params(body[1:], found)
            if 220 in found:
                trigger, interval = struct.unpack("!BI", found[220][0])
                conn.keepalive_ms = interval if trigger == 1 else None
        elif msg_type == ADD_ROSPEC:
            info = ROSpecInfo.parse(body)
            bad = [a for a in info.antennas if not 1 <= a <= self.max_antennas]
            if bad:
                reply = llrp_status(A_INVALID, f"no antenna {bad[0]}")
            else:
                conn.rospecs[info.rospec_id] = info
        elif msg_type == DELETE_ROSPEC:
            rospec_id = struct.unpack("!I", body[:4])[0]
            if rospec_id == 0:
                conn.rospecs.clear()
            else:
                conn.rospecs.pop(rospec_id, None)
            conn.enabled = None
            conn.inventorying.clear()
        elif msg_type == ENABLE_ROSPEC:
            rospec_id = struct.unpack("!I", body[:4])[0]
            if rospec_id in conn.rospecs:
                conn.enabled = conn.rospecs[rospec_id]
            else:
                reply = llrp_status(A_INVALID, f"no ROSpec {rospec_id}")
        await self._send(conn, RESPONSES[msg_type], reply, msg_id)
        if conn.enabled is not None and msg_type == ENABLE_ROSPEC:
            conn.inventorying.set()

    async def _keepalives(self, conn: Connection) -> None:
        assert conn.keepalive_ms is not None
        while True:
            await asyncio.sleep(conn.keepalive_ms / 1000)
            await self._send(conn, KEEPALIVE, b"")

    def _us(self) -> int:
        return self._clock_us()
