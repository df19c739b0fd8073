"""Fixed scanners on the network: client mode (the agent connects to the scanner's port)
and server mode (scanners connect to the agent). Thin transports around ``LineParser``;
both reconnect (or keep listening) on their own, with bounded, jittered backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator

from hardware.framing import Framing, LineParser
from hardware.link import Backoff, Health, describe
from hardware.reads import Decoded

log = logging.getLogger("jxc.agent.tcp")
READ_SIZE = 4096


def keepalive(writer: asyncio.StreamWriter, idle: int = 30) -> None:
    """TCP keepalive, so a scanner that lost power is noticed instead of waited for."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(2):
            await writer.wait_closed()


class TcpClientSource:
    """Connects to a scanner's TCP port and reads lines from it; reconnects when the
    connection fails or closes. ``idle_timeout``: reconnect after that many silent seconds
    (for scanners that send a heartbeat; None waits forever, relying on keepalive)."""

    kind = "tcp"

    def __init__(
        self,
        host: str,
        port: int,
        framing: Framing,
        *,
        health: Health | None = None,
        backoff: Backoff | None = None,
        connect_timeout: float = 5.0,
        idle_timeout: float | None = None,
    ) -> None:
        self.host, self.port, self.framing = host, port, framing
        self.health = health or Health()
        self.backoff = backoff or Backoff()
        self.connect_timeout, self.idle_timeout = connect_timeout, idle_timeout
        self.parser = LineParser(framing)

    async def reads(self) -> AsyncIterator[Decoded]:
        where = f"{self.host}:{self.port}"
        while True:
            try:
                async with asyncio.timeout(self.connect_timeout):  # cancel-safe, unlike wait_for
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except (OSError, TimeoutError) as exc:
                self.health.fail(f"cannot connect to {where}: {describe(exc)}")
            else:
                keepalive(writer)
                self.health.up()
                log.info("connected to the scanner at %s", where)
                self.parser = LineParser(self.framing)
                reason = "the scanner closed the connection"
                try:
                    while True:
                        async with asyncio.timeout(self.idle_timeout):
                            chunk = await reader.read(READ_SIZE)
                        if not chunk:
                            break
                        self.backoff.reset()  # data flowed: the next failure starts short
                        for read in self.parser.feed(chunk):
                            yield read
                except (OSError, TimeoutError) as exc:
                    reason = (
                        f"no data for {self.idle_timeout:g} s"
                        if isinstance(exc, TimeoutError)
                        else describe(exc)
                    )
                finally:
                    await _close(writer)
                for read in self.parser.eof():
                    yield read
                self.health.down(f"{where}: {reason}")
                log.warning("scanner at %s: %s; reconnecting", where, reason)
            await asyncio.sleep(self.backoff.next())


class TcpServerSource:
    """Listens for scanners that connect to the agent (several may, up to ``max_clients``;
    each has its own framing state). Reads from all of them arrive through one bounded
    queue: a flooding scanner waits, it does not grow memory."""

    kind = "tcp"

    def __init__(
        self,
        host: str,
        port: int,
        framing: Framing,
        *,
        health: Health | None = None,
        backoff: Backoff | None = None,
        max_clients: int = 8,
        queue_size: int = 1024,
    ) -> None:
        self.host, self.port, self.framing = host, port, framing
        self.health = health or Health()
        self.backoff = backoff or Backoff()
        self.max_clients = max_clients
        self._queue: asyncio.Queue[Decoded] = asyncio.Queue(queue_size)
        self._clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.bound_port: int | None = None  # the port actually listened on (port 0: any)

    async def reads(self) -> AsyncIterator[Decoded]:
        server = await self._listen()
        try:
            while True:
                yield await self._queue.get()
        finally:
            server.close()
            for task, writer in list(self._clients.items()):
                writer.close()
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._clients, return_exceptions=True)
            self._clients.clear()

    async def _listen(self) -> asyncio.Server:
        while True:
            try:
                server = await asyncio.start_server(self._serve, self.host, self.port)
            except OSError as exc:
                self.health.fail(f"cannot listen on {self.host}:{self.port}: {describe(exc)}")
                await asyncio.sleep(self.backoff.next())
                continue
            self.bound_port = server.sockets[0].getsockname()[1]
            self.health.down("listening; no scanner connected yet")
            log.info("waiting for scanners on %s:%s", self.host, self.bound_port)
            return server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        task = asyncio.current_task()
        assert task is not None
        if len(self._clients) >= self.max_clients:
            log.warning("refusing %s: already %d scanners connected", peer, self.max_clients)
            await _close(writer)
            return
        self._clients[task] = writer
        keepalive(writer)
        self.health.up()
        parser = LineParser(self.framing)
        try:
            while chunk := await reader.read(READ_SIZE):
                for read in parser.feed(chunk):
                    await self._queue.put(read)
        except OSError as exc:
            log.warning("scanner %s: %s", peer, describe(exc))
        finally:
            self._clients.pop(task, None)
            await _close(writer)
        for read in parser.eof():
            await self._queue.put(read)
        if not self._clients:
            self.health.down(f"the last scanner ({peer}) disconnected")
