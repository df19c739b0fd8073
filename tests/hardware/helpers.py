"""Shared test helpers: wait for a condition, consume a source in the background, and a
scripted ``WS /ws/scans`` server on a real local socket."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from hardware.aio import closing
from hardware.reads import Decoded, Source


async def until(
    check: Callable[[], bool | Awaitable[bool]], timeout: float = 10, every: float = 0.01
) -> None:
    """Wait until ``check()`` is true (it may be async); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {check}")
        await asyncio.sleep(every)


class Reads:
    """Consumes a source in the background; ``wait(n)`` for the first n reads."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.items: list[Decoded] = []
        self._more = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async with closing(self.source.reads()) as reads:
            async for read in reads:
                self.items.append(read)
                self._more.set()

    async def wait(self, n: int, timeout: float = 10) -> list[str]:
        async with asyncio.timeout(timeout):
            while len(self.items) < n:
                self._more.clear()
                await self._more.wait()
        return [r.text for r in self.items]

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def reading(source: Source) -> AsyncIterator[Reads]:
    reads = Reads(source)
    try:
        yield reads
    finally:
        await reads.stop()


# --- a scripted WS /ws/scans ------------------------------------------------------------

Answer = Callable[[dict[str, Any], int], dict[str, Any] | None]  # None: hang up instead


def applied(scan: dict[str, Any], _n: int) -> dict[str, Any] | None:
    return {"event_id": scan["event_id"], "status": "applied", "error": None}


@dataclass
class FakeServer:
    """``WS /ws/scans`` as the jxc server speaks it: lists of scans in, one answer each, in
    order. ``answer`` decides each answer from the scan and how many were received."""

    answer: Answer = applied
    refuse: int | None = None  # an HTTP status to deny the handshake with
    mute_first: bool = False  # the first connection takes scans and never answers
    received: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    tokens: list[str] = field(default_factory=list)
    server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws/scans"

    def _check(self, conn: ServerConnection, request: Request) -> Response | None:
        self.tokens.append(request.headers.get("Authorization", ""))
        if self.refuse is None:
            return None
        body = json.dumps({"error": {"code": "not_authenticated", "message": "Unknown key."}})
        return Response(
            self.refuse,
            "Unauthorized",
            Headers({"Content-Type": "application/json"}),
            body.encode(),
        )

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        mute = self.mute_first and self.connections == 1
        async for message in ws:
            scans = json.loads(message)
            for scan in scans if isinstance(scans, list) else [scans]:
                self.received.append(scan)
                if mute:
                    continue
                answer = self.answer(scan, len(self.received))
                if answer is None:
                    await ws.close()
                    return
                await ws.send(json.dumps(answer))


@contextlib.asynccontextmanager
async def fake_server(fake: FakeServer) -> AsyncIterator[FakeServer]:
    async with serve(fake._handle, "127.0.0.1", 0, process_request=fake._check) as server:
        fake.server = server
        yield fake
