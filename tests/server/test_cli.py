"""The ``jxc`` command as an operator runs it: a real subprocess, a real database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db import Database
from server.models import User
from tests.backends import run_sync
from tests.conftest import World, free_port

ROOT = Path(__file__).resolve().parents[2]
JXC = [sys.executable, "-m", "server.cli"]


@dataclass
class Run:
    code: int
    out: str
    err: str


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


async def jxc(*args: str, env: dict[str, str], stdin: str = "", cwd: Path | None = None) -> Run:
    """Run ``jxc`` without blocking the event loop (a test server may share it)."""
    proc = await asyncio.create_subprocess_exec(
        *JXC,
        *args,
        env=env,
        cwd=cwd or ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite file that ``jxc`` has not seen yet, in dev mode."""
    return clean_env(JXC_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", JXC_ENV="dev")


def _usernames(database_url: str) -> list[str]:
    """Usernames straight from the database (the CLI has no listing command)."""

    async def read() -> list[str]:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return list((await session.execute(select(User.username))).scalars())
        finally:
            await db.dispose()

    return run_sync(read())


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


async def test_db_upgrade_creates_the_schema(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    run = await jxc("db", "upgrade", env=sqlite_env)
    assert run.code == 0, run.err
    assert "up to date" in run.out
    assert {
        "alembic_version",
        "warehouse",
        "location",
        "product",
        "stock_move",
        "app_user",
        "device",
    } <= tables(tmp_path / "cli.db")
    again = await jxc("db", "upgrade", env=sqlite_env)  # idempotent
    assert again.code == 0, again.err


async def test_db_upgrade_on_an_unreachable_database_says_so(tmp_path: Path) -> None:
    env = clean_env(JXC_DATABASE_URL="postgresql://jxc:hunter2@127.0.0.1:1/nowhere", JXC_ENV="dev")
    run = await jxc("db", "upgrade", env=env)
    assert run.code == 1
    assert "cannot use the database" in run.err
    assert "hunter2" not in run.err + run.out  # the password is not printed
    assert "Traceback" not in run.err


async def test_user_add_refusals(database_url: str) -> None:
    env = clean_env(JXC_DATABASE_URL=database_url, JXC_ENV="dev")
    run = await jxc(
        "user",
        "add",
        "mei",
        "--role",
        "supervisor",
        "--full-name",
        "Mei",
        env=env,
        stdin="mei-password-1\n",
    )
    assert run.code == 0, run.err
    assert "mei" in run.out and "supervisor" in run.out
    assert "mei-password-1" not in run.out + run.err

    dup, bad_role, short, nowhere = await asyncio.gather(
        jxc("user", "add", "mei", "--role", "picker", env=env, stdin="another-pass\n"),
        jxc("user", "add", "kim", "--role", "emperor", env=env, stdin="kim-pass-12\n"),
        jxc("user", "add", "kim", "--role", "picker", env=env, stdin="short\n"),
        jxc(
            "user",
            "add",
            "kim",
            "--role",
            "picker",
            "--warehouse",
            "NOPE",
            env=env,
            stdin="kim-pass-12\n",
        ),
    )
    assert dup.code == 1
    assert "User mei already exists" in dup.err
    assert bad_role.code == 2  # a usage error
    assert "emperor" in bad_role.err and "supervisor" in bad_role.err
    assert short.code == 1
    assert "password" in short.err and "8 characters" in short.err
    assert nowhere.code == 1
    assert "No warehouse NOPE" in nowhere.err
    # Nothing but the first user was written.
    names = _usernames(database_url)
    assert names == ["mei"]


async def test_cli_user_can_use_the_api(world: World) -> None:
    env = clean_env(JXC_DATABASE_URL=world.server.settings.database_url, JXC_ENV="dev")
    run = await jxc(
        "user",
        "add",
        "wh2-lead",
        "--role",
        "supervisor",
        "--warehouse",
        "WH2",
        env=env,
        stdin="lead-password-1\n",
    )
    assert run.code == 0, run.err
    async with world.server.client(None) as c:
        r = await c.post(
            "/api/auth/token", data={"username": "wh2-lead", "password": "lead-password-1"}
        )
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        me = (await c.get("/api/users/me")).json()
        assert (me["role"], me["warehouse"]) == ("supervisor", "WH2")
        assert [w["code"] for w in (await c.get("/api/warehouses")).json()] == ["WH2"]
    # The first one wins; the duplicate changes nothing.
    dup = await jxc("user", "add", "wh2-lead", "--role", "admin", env=env, stdin="other-pass-1\n")
    assert dup.code == 1 and "already exists" in dup.err
    async with world.server.client("admin") as c:
        users = {u["username"]: u for u in (await c.get("/api/users")).json()}
        assert users["wh2-lead"]["role"] == "supervisor"


async def test_device_add_prints_a_key_that_authenticates(world: World) -> None:
    env = clean_env(JXC_DATABASE_URL=world.server.settings.database_url, JXC_ENV="dev")
    run = await jxc(
        "device", "add", "dock-2", "--location", "LOC-DOCK", "--type", "receive", env=env
    )
    assert run.code == 0, run.err
    keys = re.findall(r"jxcd_[A-Za-z0-9_\-]+", run.out)
    assert len(keys) == 1, run.out
    key = keys[0]
    async with world.server.client(key) as c:
        r = await c.get("/api/warehouses")
        assert r.status_code == 200, r.text
        assert r.json() == [{"code": "WH1", "name": "Main"}]
        r = await c.post(
            "/api/scans",
            json={"event_id": "2d6f4c1e-5b7a-4f1e-9a51-3c2b9d0e8f71", "code": "PLAIN", "qty": 2},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["type"], r.json()["location"]) == ("receive", "DOCK")
    async with world.server.client("admin") as c:
        devices = {d["name"]: d for d in (await c.get("/api/devices")).json()}
        assert devices["dock-2"]["key_prefix"] == key[:12]
        assert devices["dock-2"]["location"] == "DOCK"

    # Refusals, each with a message and a non-zero exit, and nothing registered.
    cases = (
        (["dock-2", "--location", "A1"], "already exists"),
        (["nowhere", "--location", "NOPE"], "No location NOPE"),
        (["virtual", "--location", "WH1:SUPPLIER"], "physical location"),
        (["adjuster", "--location", "A1", "--type", "adjust"], "adjust"),
        (["teleporter", "--location", "A1", "--type", "teleport"], "teleport"),
    )
    runs = await asyncio.gather(*(jxc("device", "add", *args, env=env) for args, _ in cases))
    for (_, message), refused in zip(cases, runs, strict=True):
        assert refused.code != 0, refused.out
        assert message in refused.err, refused.err
        assert "jxcd_" not in refused.out
    async with world.server.client("admin") as c:
        assert sorted(d["name"] for d in (await c.get("/api/devices")).json()) == [
            "dock-1",
            "dock-2",
        ]


@pytest.mark.parametrize(
    "extra",
    [
        {},  # production by default, and no secret
        {"JXC_ENV": "production"},
        {"JXC_SECRET_KEY": "too-short"},
    ],
)
async def test_serve_refuses_without_a_secret(tmp_path: Path, extra: dict[str, str]) -> None:
    env = clean_env(JXC_DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}", **extra)
    run = await jxc("serve", "--port", str(free_port()), env=env)
    assert run.code == 2, run.out + run.err
    assert "JXC_SECRET_KEY" in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "s.db").exists()  # refused before touching anything


def check_digit_ok(code: str) -> bool:
    """The GS1 mod-10 check, written out independently of the code under test."""
    digits = [int(d) for d in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def test_check_digit_ok_can_fail() -> None:
    assert check_digit_ok("5901234123457")
    assert not check_digit_ok("5901234123458")
    assert check_digit_ok("96385074") and check_digit_ok("036000291452")


async def test_demo_seeds_and_serves(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *JXC,
            "demo",
            "--port",
            str(port),
            env=clean_env(),
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as c:
            for _ in range(600):
                if proc.returncode is not None:
                    pytest.fail(f"jxc demo exited {proc.returncode}:\n{log.read_text()}")
                try:
                    if (await c.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"jxc demo never became ready:\n{log.read_text()}")

            r = await c.post(
                "/api/auth/token", data={"username": "supervisor", "password": "demo-pass-1"}
            )
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

            stock = (await c.get("/api/stock")).json()
            assert len(stock) >= 10
            assert all(row["qty"] > 0 and row["warehouse"] == "WH1" for row in stock)

            products = (await c.get("/api/products", params={"limit": 1000})).json()
            assert len(products) >= 10
            gtins = [b["code"] for p in products for b in p["barcodes"] if b["kind"] != "internal"]
            assert len(gtins) >= len(products)
            for code in gtins:
                assert code.isdigit() and len(code) in (8, 12, 13, 14), code
                assert check_digit_ok(code), f"{code} has a wrong check digit"
            assert {p["sku"] for p in products} >= {row["sku"] for row in stock}

            # Outbound: a confirmed order on an open pick list for the demo picker.
            orders = {o["number"]: o for o in (await c.get("/api/sales-orders")).json()}
            assert sorted(o["status"] for o in orders.values()) == ["draft", "reserved"]
            (pick_list,) = (await c.get("/api/pick-lists", params={"status": "open"})).json()
            assert pick_list["assigned_to"] == "picker" and pick_list["lines"]
            assert orders[pick_list["orders"][0]]["customer"] == "C-HUAMART"

        # The banner's device key works too, and no secret leaked into it.
        banner = log.read_text()
        keys = re.findall(r"jxcd_[A-Za-z0-9_\-]+", banner)
        assert len(keys) == 1, banner
        async with httpx.AsyncClient(
            base_url=base, timeout=10, headers={"Authorization": f"Bearer {keys[0]}"}
        ) as c:
            assert (await c.get("/api/warehouses")).status_code == 200
        assert (tmp_path / "jxc-demo.db").exists()
    finally:
        if proc.returncode is None:
            proc.terminate()
        code = await asyncio.wait_for(proc.wait(), 30)
    # uvicorn shuts down cleanly on SIGTERM, then re-raises it (exit status -SIGTERM).
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete" in log.read_text()
