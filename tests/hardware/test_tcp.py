"""TCP scanners over real local sockets: client mode (the agent connects) and server mode
(scanners connect to the agent), with disconnects and reconnects mid-stream."""

from __future__ import annotations

import asyncio
import socket

from hardware.framing import Framing
from hardware.link import Backoff
from hardware.tcp import TcpClientSource, TcpServerSource
from tests.conftest import free_port
from tests.hardware.helpers import reading, until

FAST = Backoff(0.02, 0.05)


class FakeScanner:
    """A fixed scanner in server mode: listens, and writes to whoever connects."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> int:
        async def serve(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await self.connections.put(w)

        self.server = await asyncio.start_server(serve, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def accept(self) -> asyncio.StreamWriter:
        return await asyncio.wait_for(self.connections.get(), 10)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def send(writer: asyncio.StreamWriter, *chunks: bytes) -> None:
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.01)  # separate TCP segments, most likely


async def test_client_mode_reads_split_packets_and_reconnects() -> None:
    scanner = FakeScanner()
    port = await scanner.start()
    source = TcpClientSource("127.0.0.1", port, Framing(aim=True), backoff=FAST)
    async with reading(source) as reads:
        conn = await scanner.accept()
        await until(lambda: source.health.state == "connected")
        await send(conn, b"]E0590123", b"4123457\r]C1010590", b"123412345715\rNOREAD\r")
        assert await reads.wait(2) == ["5901234123457", "010590123412345715"]
        # The scanner drops the connection mid-read: the partial read still counts.
        await send(conn, b"A1\rB")
        conn.close()
        assert await reads.wait(4) == ["5901234123457", "010590123412345715", "A1", "B"]
        conn = await scanner.accept()  # the agent came back on its own
        await send(conn, b"C3\r")
        assert (await reads.wait(5))[-1] == "C3"
        assert [r.aim for r in reads.items] == ["]E0", "]C1", None, None, None]
        conn.close()
    await scanner.close()


async def test_client_mode_waits_for_a_scanner_that_is_not_there_yet() -> None:
    port = free_port()
    source = TcpClientSource(
        "127.0.0.1", port, Framing(terminator=b"\n", flush_on_close=False), backoff=FAST
    )
    async with reading(source) as reads:
        await until(lambda: source.health.state == "error")
        assert source.health.error is not None and f"127.0.0.1:{port}" in source.health.error
        scanner = FakeScanner()
        await scanner.start(port)
        conn = await scanner.accept()
        await until(lambda: source.health.state == "connected")
        await send(conn, b"A1\nB2")
        conn.close()  # "B2" had no terminator and flush_on_close is off
        await until(lambda: source.health.state == "disconnected")
        conn = await scanner.accept()
        await send(conn, b"C3\n")
        assert await reads.wait(2) == ["A1", "C3"]
        conn.close()
        await scanner.close()


async def test_client_mode_idle_timeout_reconnects() -> None:
    scanner = FakeScanner()
    port = await scanner.start()
    source = TcpClientSource("127.0.0.1", port, Framing(), backoff=FAST, idle_timeout=0.2)
    seen: list[tuple[str, str | None]] = []
    source.health.listeners.append(lambda h: seen.append((h.state, h.error)))
    async with reading(source) as reads:
        first = await scanner.accept()
        second = await scanner.accept()  # the silent connection was given up
        assert ("disconnected", f"127.0.0.1:{port}: no data for 0.2 s") in seen
        await send(second, b"A1\r")
        assert await reads.wait(1) == ["A1"]
        first.close()
        second.close()
    await scanner.close()


async def scanner_connects(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with asyncio.timeout(10):
        while True:
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.02)


async def test_server_mode_several_scanners_each_with_its_own_framing_state() -> None:
    source = TcpServerSource("127.0.0.1", 0, Framing(terminator=b"\r\n"), backoff=FAST)
    async with reading(source) as reads:
        await until(lambda: source.bound_port is not None)
        assert source.health.state == "disconnected"
        port = source.bound_port
        assert port is not None
        _, one = await scanner_connects(port)
        _, two = await scanner_connects(port)
        await until(lambda: source.health.state == "connected")
        await send(one, b"ON")  # half a read on one connection...
        await send(two, b"TWO\r\n")  # ...does not mix with the other's
        await send(one, b"E\r\n")
        assert sorted(await reads.wait(2)) == ["ONE", "TWO"]
        one.close()
        two.close()
        await until(lambda: source.health.state == "disconnected")
        _, again = await scanner_connects(port)  # a scanner that rebooted
        await send(again, b"THREE\r\n")
        assert (await reads.wait(3))[-1] == "THREE"
        again.close()


async def test_server_mode_refuses_more_than_max_clients() -> None:
    source = TcpServerSource("127.0.0.1", 0, Framing(), backoff=FAST, max_clients=1)
    async with reading(source) as reads:
        await until(lambda: source.bound_port is not None)
        assert source.bound_port is not None
        _, first = await scanner_connects(source.bound_port)
        await until(lambda: source.health.state == "connected")
        extra_r, extra_w = await scanner_connects(source.bound_port)
        assert await asyncio.wait_for(extra_r.read(), 10) == b""  # closed on it
        await send(first, b"A1\r")
        assert await reads.wait(1) == ["A1"]
        first.close()
        extra_w.close()


async def test_server_mode_port_in_use_is_an_error_until_free() -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    source = TcpServerSource("127.0.0.1", port, Framing(), backoff=FAST)
    async with reading(source) as reads:
        await until(lambda: source.health.state == "error")
        assert "cannot listen" in (source.health.error or "")
        blocker.close()
        await until(lambda: source.bound_port == port)
        _, w = await scanner_connects(port)
        await send(w, b"A1\r")
        assert await reads.wait(1) == ["A1"]
        w.close()
