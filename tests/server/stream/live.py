"""A test client of ``WS /ws/stock``: every wait is bounded, every message is JSON-decoded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

import server.app as app_module
from server.stream.hub import StockHub
from tests.conftest import RunningServer, scan, start_server

WAIT = 15.0  # seconds: the longest any single expected message may take
StockKey = tuple[str, str, str, str | None]  # warehouse, location, sku, lot


class Stream:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        """Read the snapshot's parts; returns its seq and all its stock rows."""
        rows: list[dict[str, Any]] = []
        seqs: set[int] = set()
        for part in range(10_000):
            m = await self.recv()
            assert m["type"] == "snapshot", m
            assert m["part"] == part, m
            seqs.add(m["seq"])
            rows += m["stock"]
            if m["last"]:
                assert len(seqs) == 1, f"one snapshot, one seq: {seqs}"
                return seqs.pop(), rows
        raise AssertionError("the snapshot never ended")

    async def moves(self, n: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            m = await self.recv(timeout)
            assert m["type"] == "move", m
            out.append(m)
        return out

    async def moves_until(self, seq: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while not out or out[-1]["seq"] < seq:
            m = await self.recv(timeout)
            assert m["type"] == "move", m
            out.append(m)
        return out

    async def quiet(self, seconds: float = 0.5) -> None:
        """Assert that nothing arrives for ``seconds``."""
        try:
            m = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected no message, got {m!r}")


@asynccontextmanager
async def open_stream(
    server: RunningServer | str,
    bearer: str | None,
    connect_kw: dict[str, Any] | None = None,
    **params: Any,
) -> AsyncIterator[Stream]:
    """``server``: a running server or its ``ws://`` base URL; ``params``: query parameters."""
    base = server if isinstance(server, str) else server.ws_url
    query = urlencode({k: v for k, v in params.items() if v is not None})
    url = f"{base}/ws/stock" + (f"?{query}" if query else "")
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else None
    kw: dict[str, Any] = {"open_timeout": WAIT, "proxy": None, **(connect_kw or {})}
    async with connect(url, additional_headers=headers, **kw) as ws:
        yield Stream(ws)


def hubs_without_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers started from now on learn of moves from their broker only, never by looking
    at the ledger's head: what is delivered, and when, depends on broker messages alone."""

    def without_polling(*args: Any, **kw: Any) -> StockHub:
        return StockHub(*args, **{**kw, "poll_interval": None})

    monkeypatch.setattr(app_module, "StockHub", without_polling)


@asynccontextmanager
async def another_server(
    first: RunningServer, *, send_buffer: int | None = None
) -> AsyncIterator[tuple[RunningServer, uvicorn.Server]]:
    """A second server on the first one's settings: same database, same broker channel.

    ``send_buffer``: the kernel send buffer of its connections (inherited from the listening
    socket), to stand for a slow network without waiting for megabytes to pile up.
    """
    srv, task, host = await start_server(first.settings)
    try:
        if send_buffer is not None:
            for listener in srv.servers:
                for sock in listener.sockets:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        second = RunningServer(
            f"http://{host}", f"ws://{host}", first.settings, srv.config.app, dict(first.tokens)
        )
        yield second, srv
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 15)


def receive(sku: str = "PLAIN", qty: int = 1, location: str = "A1", **kw: Any) -> dict[str, Any]:
    return scan(type="receive", code=sku, qty=qty, location=location, **kw)


async def post(client: httpx.AsyncClient, scans: dict[str, Any] | list[dict[str, Any]]) -> Any:
    r = await client.post("/api/scans", json=scans)
    assert r.status_code in (200, 409, 422), r.text
    return r.json()


async def applied_seqs(client: httpx.AsyncClient, scans: list[dict[str, Any]]) -> list[int]:
    results = await post(client, scans)
    assert all(r["status"] == "applied" for r in results), results
    return [r["seq"] for r in results]


async def head(client: httpx.AsyncClient) -> int:
    r = await client.get("/api/moves", params={"since": 0, "limit": 10_000})
    r.raise_for_status()
    moves = r.json()
    return moves[-1]["seq"] if moves else 0


async def ledger(
    client: httpx.AsyncClient, since: int = 0, warehouse: str | None = None
) -> list[Any]:
    params: dict[str, Any] = {"since": since, "limit": 10_000}
    if warehouse:
        params["warehouse"] = warehouse
    r = await client.get("/api/moves", params=params)
    r.raise_for_status()
    return [{"type": "move", **m} for m in r.json()]  # as the stream shows them


async def stock(client: httpx.AsyncClient, warehouse: str | None = None) -> dict[StockKey, Any]:
    params = {"warehouse": warehouse} if warehouse else {}
    r = await client.get("/api/stock", params=params)
    r.raise_for_status()
    return {(s["warehouse"], s["location"], s["sku"], s["lot"]): s["qty"] for s in r.json()}


def as_stock(rows: Iterable[dict[str, Any]]) -> dict[StockKey, Any]:
    return {(s["warehouse"], s["location"], s["sku"], s["lot"]): s["qty"] for s in rows}


PHYSICAL = {"DOCK", "A1", "A2", "STAGE", "B1"}  # the world fixture's physical locations


def apply_moves(book: dict[StockKey, Any], moves: Iterable[dict[str, Any]]) -> dict[StockKey, Any]:
    """Roll a snapshot forward with each move's balances after it (``from_qty``/``to_qty``)."""
    book = dict(book)
    for m in moves:
        for loc, balance in ((m["from_location"], m["from_qty"]), (m["to_location"], m["to_qty"])):
            if loc in PHYSICAL:
                book[(m["warehouse"], loc, m["sku"], m["lot"])] = balance
    return {k: v for k, v in book.items() if v != 0}


def seqs(moves: Iterable[dict[str, Any]]) -> list[int]:
    return [m["seq"] for m in moves]


async def subscribers_settle(hub: StockHub, n: int, timeout: float = 10) -> None:
    """Wait until the hub has exactly ``n`` subscriptions (closed ones are forgotten)."""

    async def settle() -> None:
        while hub.subscribers != n:  # noqa: ASYNC110 - the hub has no event for this
            await asyncio.sleep(0.01)

    await asyncio.wait_for(settle(), timeout)
