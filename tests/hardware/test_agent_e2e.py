"""The agent end to end, against a real ``jxc serve`` process on a SQLite file: reads from a
fixed scanner's TCP port and from a script reach the ledger; the server killed mid-stream,
or the agent killed with SIGKILL mid-stream, loses no read and applies none twice; a read
the server rejects is a dead letter, shown by ``--status``, sent again by ``--requeue``."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EAN_PLAIN
from tests.hardware.helpers import until
from tests.hardware.processes import (
    AgentProcess,
    JxcServer,
    jxc,
    jxc_here,
    outbox_rows,
    scanner,
    seed,
    write_config,
)

pytestmark = pytest.mark.timeout(120)


def applied(server: JxcServer, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(await server.moves()) >= n

    return check


def unique_moves(moves: list[dict[str, Any]]) -> Counter[str | None]:
    """Moves per reference, after checking no event was applied twice."""
    events = [m["event_id"] for m in moves]
    assert len(events) == len(set(events)), "an event was applied twice"
    return Counter(m["reference"] for m in moves)


async def test_server_killed_mid_stream_then_back(tmp_path: Path, served: JxcServer) -> None:
    keys = await seed(served, ["dock-1", "sim-1"])
    (tmp_path / "script.txt").write_text("INT-PLAIN,2,0.02\n" * 40)
    outbox = tmp_path / "outbox.db"
    async with scanner() as fake:
        devices = [
            {"name": "dock-1", "kind": "tcp-client", "host": "127.0.0.1", "port": fake.port,
             "holdoff": 0, "reference": "fixed", "api_key": keys["dock-1"]},
            {"name": "sim-1", "kind": "simulate", "script": "script.txt", "reference": "sim",
             "api_key": keys["sim-1"]},
        ]  # fmt: skip
        config = write_config(tmp_path / "agent.toml", served, devices, health_interval=1)
        agent = AgentProcess(config, tmp_path / "agent.log")
        await agent.start()
        try:
            await fake.connected()
            for i in range(100):
                assert await fake.read(EAN_PLAIN)
                await asyncio.sleep(0.005)
                if i == 39:
                    await served.kill()  # mid-stream, no shutdown
            # The reads taken while the server is down are in the outbox file, on disk.
            await until(lambda: sum(d == "dock-1" for d, _ in outbox_rows(outbox)) >= 60)
            code, out = await jxc_here("agent", str(config), "--status", "--json")
            assert code == 0, out
            status = {d["device"]: d for d in json.loads(out)["devices"]}
            assert status["dock-1"]["outbox"] >= 60
            assert status["dock-1"]["server"]["state"] in ("disconnected", "connecting")
            assert status["dock-1"]["link"]["state"] == "connected"  # the scanner still is

            await served.start()  # same port, same database
            await until(lambda: not outbox_rows(outbox), timeout=60)

            async def reported() -> bool:
                health = (await served.devices())["dock-1"].get("health") or {}
                return health.get("outbox") == 0 and health.get("last_read_at") is not None

            await until(reported, timeout=30, every=0.2)  # POST /api/devices/health
            device = (await served.devices())["dock-1"]
            assert device["online"] and device["health"]["state"] == "connected"
        finally:
            assert await agent.stop() == 0  # SIGTERM: a clean exit
    health = (await served.devices())["dock-1"]["health"]
    assert (health["state"], health["error"]) == ("disconnected", "the agent stopped")
    moves = await served.moves()
    assert unique_moves(moves) == {"fixed": 100, "sim": 40}
    assert await served.stock("DOCK") == {"PLAIN": 100 + 2 * 40}


async def test_agent_killed_mid_stream_then_restarted(tmp_path: Path, served: JxcServer) -> None:
    keys = await seed(served, ["dock-1"])
    outbox = tmp_path / "outbox.db"
    async with scanner() as fake:
        devices = [{"name": "dock-1", "kind": "tcp-client", "host": "127.0.0.1",
                    "port": fake.port, "holdoff": 0, "api_key": keys["dock-1"]}]  # fmt: skip
        config = write_config(tmp_path / "agent.toml", served, devices)
        agent = AgentProcess(config, tmp_path / "agent.log")
        await agent.start()
        await fake.connected()
        for _ in range(30):
            assert await fake.read(EAN_PLAIN)
        await until(applied(served, 30))
        assert not outbox_rows(outbox)

        # 1. The server stalls (SIGSTOP): reads pile up in the outbox, some already sent
        #    on the WebSocket. Then the agent is killed outright.
        assert served.proc is not None
        served.proc.send_signal(signal.SIGSTOP)
        try:
            for _ in range(40):
                assert await fake.read(EAN_PLAIN)
            await until(lambda: len(outbox_rows(outbox)) == 40)
            pending = {e for _, e in outbox_rows(outbox)}
            await agent.kill()
        finally:
            served.proc.send_signal(signal.SIGCONT)  # it now applies what it had buffered

        # 2. The agent comes back: it re-sends the outbox (same event ids, some of them
        #    applied meanwhile) and reconnects to the scanner.
        await agent.start()
        await fake.connected()
        await until(lambda: not outbox_rows(outbox), timeout=60)
        moves = await served.moves()
        assert pending <= {m["event_id"] for m in moves}
        assert sum(unique_moves(moves).values()) == 70

        # 3. Killed again while reads flow: whatever it had taken (in the ledger or in the
        #    outbox at the moment of death) arrives once; nothing else appears.
        for i in range(200):
            if not await fake.read(EAN_PLAIN):
                break
            await asyncio.sleep(0.002)
            if i == 100:
                await agent.kill()
        taken = {m["event_id"] for m in await served.moves()} | {e for _, e in outbox_rows(outbox)}
        await agent.start()
        await fake.connected()
        await until(lambda: not outbox_rows(outbox), timeout=60)
        for _ in range(10):
            assert await fake.read(EAN_PLAIN)

        await until(applied(served, len(taken) + 10), timeout=30)
        assert await agent.stop() == 0
    moves = await served.moves()
    total = sum(unique_moves(moves).values())
    assert {m["event_id"] for m in moves} >= taken
    assert total == len(taken) + 10
    assert await served.stock("DOCK") == {"PLAIN": total}


async def test_rejected_reads_are_dead_letters_shown_and_requeued(
    tmp_path: Path, served: JxcServer
) -> None:
    keys = await seed(served, ["sim-1"])
    devices = [{"name": "sim-1", "kind": "simulate", "script": "unused.txt",
                "api_key": keys["sim-1"]}]  # fmt: skip
    config = write_config(tmp_path / "agent.toml", served, devices)
    script = tmp_path / "replay.txt"
    script.write_text("INT-PLAIN\nNO-SUCH-CODE\nINT-PLAIN,3\n")

    code, out = await jxc("agent", str(config), "--simulate", str(script))
    assert code == 0, out
    assert "3 read(s) replayed and answered" in out
    assert await served.stock("DOCK") == {"PLAIN": 4}
    code, out = await jxc_here("agent", str(config), "--status")
    assert code == 0, out
    assert "agent not running" in out
    assert "NO-SUCH-CODE" in out and "unknown_code" in out
    code, out = await jxc_here("agent", str(config), "--status", "--json")
    status = json.loads(out)
    assert status["devices"][0]["outbox"] == 0  # not retried forever
    assert status["devices"][0]["dead_letters"] == 1
    (dead,) = status["dead_letters"]
    assert (dead["code"], dead["error"]["code"]) == ("NO-SUCH-CODE", "unknown_code")

    # The code is linked to a product; the dead letter is sent again and now applies.
    async with served.client() as c:
        body = {"sku": "NEW", "name": "New", "barcodes": ["NO-SUCH-CODE"]}
        (await c.post("/api/products", json=body)).raise_for_status()
    code, out = await jxc_here("agent", str(config), "--requeue")
    assert (code, out.strip()) == (0, "1 dead letter(s) moved back to the outbox.")
    script.write_text("# nothing new: only deliver the outbox\n")
    code, out = await jxc("agent", str(config), "--simulate", str(script))
    assert code == 0, out
    assert await served.stock("DOCK") == {"NEW": 1, "PLAIN": 4}
    moves = await served.moves()
    assert [m["event_id"] for m in moves if m["sku"] == "NEW"] == [dead["event_id"]]


async def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('server = "http://127.0.0.1:1"\n[[device]]\nname = "d1"\nkind = "tcp-client"\n')
    code, out = await jxc_here("agent", str(path))
    assert code == 2
    assert "invalid configuration" in out and 'device[0] "d1" host: Field required' in out
