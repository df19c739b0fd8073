"""Real processes for the agent's end-to-end tests: ``jxc serve`` on a SQLite file and
``jxc agent CONFIG``, each killable with SIGKILL, plus a seeded warehouse and a fake fixed
scanner (a TCP server the agent connects to, as to a real scanner's port)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tomli_w
from typer.testing import CliRunner

from server.cli import app
from tests.conftest import EAN_PLAIN, PASSWORD
from tests.hardware.helpers import until

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.update(PYTHONPATH=path, **extra)
    return env


@dataclass
class JxcServer:
    """``jxc serve`` as a subprocess on one port and one database, (re)started at will."""

    database_url: str
    port: int
    log: Path
    proc: asyncio.subprocess.Process | None = None
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                env=_env(JXC_ENV="dev", JXC_DATABASE_URL=self.database_url),
                cwd=ROOT, stdout=log, stderr=log,
            )  # fmt: skip
        async with httpx.AsyncClient(base_url=self.url) as c:

            async def ready() -> bool:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise AssertionError(f"jxc serve exited: {self.log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    return (await c.get("/readyz")).status_code == 200
                return False

            await until(ready, timeout=30, every=0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown, whatever was in flight is cut."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    def client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def login(self, username: str = "admin") -> None:
        async with self.client() as c:
            r = await c.post("/api/auth/token", data={"username": username, "password": PASSWORD})
            r.raise_for_status()
            self.token = r.json()["access_token"]

    async def moves(self) -> list[dict[str, Any]]:
        async with self.client() as c:
            r = await c.get("/api/moves", params={"limit": 10_000})
            r.raise_for_status()
            return list(r.json())

    async def stock(self, location: str) -> dict[str, float]:
        async with self.client() as c:
            r = await c.get("/api/stock", params={"location": location})
            r.raise_for_status()
            return {row["sku"]: row["qty"] for row in r.json()}

    async def devices(self) -> dict[str, dict[str, Any]]:
        async with self.client() as c:
            r = await c.get("/api/devices")
            r.raise_for_status()
            return {d["name"]: d for d in r.json()}


async def seed(server: JxcServer, devices: list[str]) -> dict[str, str]:
    """WH1 with a dock, product PLAIN (EAN_PLAIN, "INT-PLAIN"), and one receiving device per
    name, bound to the dock; returns their API keys."""
    keys: dict[str, str] = {}
    async with server.client() as c:
        for path, body in (
            ("/api/warehouses", {"code": "WH1", "name": "Main"}),
            ("/api/locations", {"code": "DOCK", "warehouse": "WH1", "kind": "dock"}),
            (
                "/api/products",
                {"sku": "PLAIN", "name": "Plain", "barcodes": [EAN_PLAIN, "INT-PLAIN"]},
            ),
        ):
            (await c.post(path, json=body)).raise_for_status()
        for name in devices:
            body = {"name": name, "location": "DOCK", "type": "receive"}
            r = await c.post("/api/devices", json=body)
            r.raise_for_status()
            keys[name] = r.json()["key"]
    return keys


@dataclass
class AgentProcess:
    """``jxc agent CONFIG`` as a subprocess."""

    config: Path
    log: Path
    args: tuple[str, ...] = ()
    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server.cli", "agent", str(self.config), *self.args,
                env=_env(), cwd=ROOT, stdout=log, stderr=log,
            )  # fmt: skip

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM: the agent's clean shutdown."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), 20)


async def jxc(*args: str, timeout: float = 60) -> tuple[int, str]:
    """Run one ``jxc`` command to completion; its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args,
        env=_env(), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def jxc_here(*args: str) -> tuple[int, str]:
    """Run a short ``jxc`` command in this process (no interpreter start-up to pay)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    return result.exit_code, result.output


def write_config(path: Path, server: JxcServer, devices: list[dict[str, Any]], **top: Any) -> Path:
    path.write_text(
        tomli_w.dumps({"server": server.url, "outbox": "outbox.db", **top, "device": devices})
    )
    return path


def outbox_rows(path: Path) -> list[tuple[str, str]]:
    """(device, event id) of every read waiting in an outbox file, read as another process
    would (the agent may be running, or dead)."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(d, e) for d, e in db.execute("SELECT device, event_id FROM outbox ORDER BY id")]
    finally:
        db.close()


@dataclass
class FakeScanner:
    """A fixed scanner's TCP port: the agent connects; reads are written to the newest
    connection. ``sent`` counts reads written to a connection that was still open."""

    server: asyncio.Server | None = None
    port: int = 0
    conns: asyncio.Queue[asyncio.StreamWriter] = field(default_factory=asyncio.Queue)
    current: asyncio.StreamWriter | None = None

    async def start(self) -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self.conns.put(writer)

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def connected(self, timeout: float = 30) -> None:
        """Wait for the agent to (re)connect; older connections are closed."""
        writer = await asyncio.wait_for(self.conns.get(), timeout)
        if self.current is not None:
            self.current.close()
        self.current = writer

    async def read(self, code: str) -> bool:
        """Send one read; False when the connection is gone (the agent died)."""
        assert self.current is not None
        try:
            self.current.write(code.encode() + b"\r")
            await self.current.drain()
        except (ConnectionError, OSError):
            return False
        return not self.current.is_closing()

    async def close(self) -> None:
        if self.current is not None:
            self.current.close()
        if self.server is not None:
            self.server.close()


@contextlib.asynccontextmanager
async def scanner() -> AsyncIterator[FakeScanner]:
    fake = FakeScanner()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.close()
