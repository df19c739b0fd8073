"""The agent in this process, with sources and a server under the test's control: the
outbox write comes before the send, hold-offs per device, a crashing adapter is restarted,
a server without the health endpoint (404) is carried on with."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from hardware.agent import Agent
from hardware.config import AgentConfig, parse_config
from hardware.link import Health
from hardware.outbox import OutboxError
from hardware.reads import Decoded
from hardware.simulate import ScriptLine, ScriptSource
from tests.hardware.helpers import FakeServer, applied, fake_server, until


def config(tmp_path: Path, fake: FakeServer, *devices: dict[str, Any]) -> AgentConfig:
    host = fake.url.removeprefix("ws://").removesuffix("/ws/scans")
    text = tomli_w.dumps(
        {
            "server": f"http://{host}",
            "outbox": str(tmp_path / "outbox.db"),
            "health_interval": 1,
            "device": [
                {"kind": "simulate", "script": "unused", "api_key": f"jxcd_key_{d['name']}", **d}
                for d in devices
            ],
        }
    )
    return parse_config(text)


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"detail": "Not Found"})


@contextlib.asynccontextmanager
async def running(agent: Agent) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        await asyncio.wait_for(agent.started.wait(), 10)
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


def script(*codes: str) -> ScriptSource:
    return ScriptSource([ScriptLine(c) for c in codes])


async def test_every_read_is_on_disk_before_it_is_sent(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.db"
    on_disk_when_sent: list[bool] = []

    def answer(scan: dict[str, Any], n: int) -> dict[str, Any] | None:
        db = sqlite3.connect(f"file:{outbox}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT 1 FROM outbox WHERE event_id = ?", (scan["event_id"],))
            on_disk_when_sent.append(row.fetchone() is not None)
        finally:
            db.close()
        return applied(scan, n)

    async with fake_server(FakeServer(answer)) as fake:
        cfg = config(tmp_path, fake, {"name": "sim-1"})
        agent = Agent(
            cfg,
            sources={"sim-1": script(*(f"C{i}" for i in range(20)))},
            health_transport=httpx.MockTransport(not_found),
        )
        await asyncio.wait_for(agent.run(until_delivered=True), 20)
    assert on_disk_when_sent == [True] * 20
    assert [s["code"] for s in fake.received] == [f"C{i}" for i in range(20)]
    assert agent.reporters["sim-1"].supported is False  # 404: carried on without it


async def test_holdoff_per_device(tmp_path: Path) -> None:
    async with fake_server(FakeServer()) as fake:
        cfg = config(
            tmp_path,
            fake,
            {"name": "fixed", "holdoff": 5},  # a label under a fixed scanner
            {"name": "picker", "holdoff": 0},  # five scans of one item are five
        )
        agent = Agent(
            cfg,
            sources={"fixed": script(*["A"] * 5, "B", "A"), "picker": script(*["A"] * 5)},
            health_transport=httpx.MockTransport(not_found),
        )
        await asyncio.wait_for(agent.run(until_delivered=True), 20)
    by_device: dict[str, list[str]] = {}
    for s in fake.received:
        by_device.setdefault(s["device_id"], []).append(s["code"])
    assert by_device == {"fixed": ["A", "B"], "picker": ["A"] * 5}


class Crashing:
    """An adapter with a bug: two reads, then an exception; fine after a restart."""

    kind = "tcp"

    def __init__(self) -> None:
        self.health = Health()
        self.runs = 0

    async def reads(self) -> AsyncIterator[Decoded]:
        self.runs += 1
        self.health.up()
        yield Decoded(f"run{self.runs}", b"")
        if self.runs == 1:
            raise RuntimeError("parser bug")
        await asyncio.Event().wait()


async def test_a_crashing_adapter_is_restarted_and_reported(tmp_path: Path) -> None:
    reports: list[dict[str, Any]] = []

    def health(request: httpx.Request) -> httpx.Response:
        reports.append(json.loads(request.content))
        return httpx.Response(200, json={})

    crashing = Crashing()
    async with fake_server(FakeServer()) as fake:
        cfg = config(tmp_path, fake, {"name": "dock-1"})
        agent = Agent(
            cfg, sources={"dock-1": crashing}, health_transport=httpx.MockTransport(health)
        )
        async with running(agent):
            await until(lambda: len(fake.received) == 2, timeout=15)
            await until(lambda: any(r["state"] == "error" for r in reports))
    assert [s["code"] for s in fake.received] == ["run1", "run2"]
    error = next(r for r in reports if r["state"] == "error")
    assert error["error"] == "internal error: RuntimeError: parser bug"
    assert set(error) == {"state", "last_read_at", "error", "outbox", "dead_letters"}
    assert agent.reporters["dock-1"].reports >= 2


async def test_a_second_agent_on_the_same_outbox_is_refused(tmp_path: Path) -> None:
    async with fake_server(FakeServer()) as fake:
        cfg = config(tmp_path, fake, {"name": "dock-1"})
        mock = httpx.MockTransport(not_found)
        first = Agent(cfg, sources={"dock-1": script()}, health_transport=mock)
        async with running(first):
            second = Agent(cfg, sources={"dock-1": script()}, health_transport=mock)
            with pytest.raises(OutboxError, match="another agent"):
                await second.run()
