"""Invariant 3, acked means durable: ``kill -9`` of a real ``jxc serve`` mid-stream loses no
acknowledged scan, and replaying everything afterwards applies each scan exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.accounts.repository import AccountsRepository
from server.accounts.schemas import UserCreate
from server.accounts.service import AccountsService
from server.db import Database
from server.models import Role
from tests.conftest import EAN_PLAIN, free_port

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "crash-test-pass"


@contextlib.asynccontextmanager
async def jxc_serve(database_url: str, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    env.update(JXC_ENV="dev", JXC_DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", "--port", str(port),
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await c.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("jxc serve did not become ready")
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _token(c: httpx.AsyncClient) -> str:
    r = await c.post("/api/auth/token", data={"username": "admin", "password": PASSWORD})
    r.raise_for_status()
    return str(r.json()["access_token"])


async def _seed(c: httpx.AsyncClient) -> None:
    for path, body in (
        ("/api/warehouses", {"code": "WH1", "name": "Main"}),
        ("/api/locations", {"code": "A1", "warehouse": "WH1", "kind": "bin"}),
        ("/api/products", {"sku": "PLAIN", "name": "Plain", "barcodes": [EAN_PLAIN]}),
    ):
        (await c.post(path, json=body)).raise_for_status()


async def test_kill_9_loses_no_acknowledged_scan(database_url: str) -> None:
    db = Database(database_url)
    async with db.session(write=True) as session:
        await AccountsService(AccountsRepository(session), None).create_user(
            UserCreate(username="admin", password=PASSWORD, role=Role.admin)
        )
    await db.dispose()
    port = free_port()
    scans = [
        {"event_id": str(uuid.uuid4()), "type": "receive", "code": EAN_PLAIN, "location": "A1"}
        for _ in range(2_000)
    ]
    acked: dict[str, dict[str, Any]] = {}

    enough = asyncio.Event()
    async with (
        jxc_serve(database_url, port) as proc,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c,
    ):
        c.headers["Authorization"] = f"Bearer {await _token(c)}"
        await _seed(c)

        async def poster(mine: list[dict[str, Any]]) -> None:
            for s in mine:
                try:
                    r = await c.post("/api/scans", json=s)
                except httpx.TransportError:
                    return  # the server died under us: this scan was never acked
                assert r.status_code == 200, r.text
                acked[s["event_id"]] = r.json()
                if len(acked) >= 300:
                    enough.set()

        posters = [asyncio.create_task(poster(scans[i::8])) for i in range(8)]
        await asyncio.wait_for(enough.wait(), 60)
        proc.send_signal(signal.SIGKILL)  # mid-stream, no shutdown
        await proc.wait()
        await asyncio.wait_for(asyncio.gather(*posters), 30)
    assert 300 <= len(acked) < len(scans), "the kill should land mid-stream"

    async with (
        jxc_serve(database_url, port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c,
    ):
        c.headers["Authorization"] = f"Bearer {await _token(c)}"
        moves = (await c.get("/api/moves", params={"limit": 10_000})).json()
        in_ledger = {m["event_id"] for m in moves}
        assert set(acked) <= in_ledger  # nothing acknowledged was lost
        # The sender replays everything it is unsure of (here: all of it).
        replies: list[dict[str, Any]] = []
        for i in range(0, len(scans), 250):
            r = await c.post("/api/scans", json=scans[i : i + 250])
            replies += r.json()
        for s, reply in zip(scans, replies, strict=True):
            if s["event_id"] in in_ledger:
                assert reply["status"] == "duplicate"
                if s["event_id"] in acked:  # the very answer given before the crash
                    assert reply["seq"] == acked[s["event_id"]]["seq"]
            else:
                assert reply["status"] == "applied"
        moves = (await c.get("/api/moves", params={"limit": 10_000})).json()
        assert sorted(m["event_id"] for m in moves) == sorted(s["event_id"] for s in scans)
        assert [m["seq"] for m in moves] == list(range(1, len(scans) + 1))
        stock = (await c.get("/api/stock", params={"location": "A1"})).json()
        assert [row["qty"] for row in stock] == [len(scans)]


pytestmark = pytest.mark.timeout(180)
