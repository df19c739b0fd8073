"""Fixtures: a fresh database per test (SQLite file or PostgreSQL database from a migrated
template), a real jxc server on a local port, and a seeded little warehouse.

PostgreSQL and Redis are required when ``CI`` is set; elsewhere their tests skip with a
loud reason at the end of the run.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from server.app import create_app
from server.auth import security
from server.auth.security import create_token, hash_password
from server.db import Database
from server.migrate import upgrade
from server.models import Role, User
from server.serve import uvicorn_config
from server.settings import Settings
from tests.backends import (
    IN_CI,
    POSTGRES_URL,
    REDIS_URL,
    postgres_available,
    redis_available,
    run_sync,
)

PASSWORD = "test-pass-123"
_missing: list[str] = []


def _require(name: str, available: bool) -> None:
    if available:
        return
    reason = f"{name} is not reachable ({POSTGRES_URL if name == 'PostgreSQL' else REDIS_URL})"
    if IN_CI:
        pytest.fail(f"{reason}, and CI is set: these tests must run", pytrace=False)
    _missing.append(name)
    pytest.skip(f"SKIPPED LOUDLY: {reason}; start it to run these tests")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _missing:
        terminalreporter.write_sep(
            "!",
            f"tests skipped because unavailable: {', '.join(sorted(set(_missing)))}",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return postgres_available()


@pytest.fixture(scope="session")
def redis_ok() -> bool:
    return redis_available()


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "jxc.db"

    async def build() -> None:
        db = Database(f"sqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    run_sync(build())
    return path


@pytest.fixture(scope="session")
def pg_template(pg_available: bool) -> Iterator[str | None]:
    """A migrated PostgreSQL database that each test's database is copied from."""
    if not pg_available:
        yield None
        return
    name = f"jxc_tpl_{uuid.uuid4().hex[:10]}"

    async def build() -> None:
        await _pg_admin(f'CREATE DATABASE "{name}"')
        db = Database(_pg_url(name))
        await upgrade(db)
        await db.dispose()

    run_sync(build())
    yield name
    run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_url(dbname: str) -> str:
    parts = POSTGRES_URL.rsplit("/", 1)
    return f"{parts[0]}/{dbname}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A fresh, migrated database for this test only."""
    if request.param == "sqlite":
        path = tmp_path / "jxc.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    _require("PostgreSQL", request.getfixturevalue("pg_available"))
    template = request.getfixturevalue("pg_template")
    name = f"jxc_t_{uuid.uuid4().hex[:12]}"
    run_sync(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    run_sync(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def broker_kind() -> str:
    """Overridden (parametrized over memory and redis) where the broker matters."""
    return "memory"


@pytest.fixture
def broker_url(request: pytest.FixtureRequest, broker_kind: str) -> str:
    if broker_kind == "redis":
        _require("Redis", request.getfixturevalue("redis_ok"))
        return REDIS_URL
    return "memory://"


@pytest.fixture
def settings(database_url: str, broker_url: str) -> Settings:
    return Settings(
        env="dev",
        database_url=database_url,
        broker_url=broker_url,
        broker_channel=f"jxc-test-{uuid.uuid4().hex[:8]}",
        secret_key="test-secret-key-0123456789-abcdefghij",
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


# --- a real server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    ws_url: str
    settings: Settings
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str | None = "admin", **kw: Any) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens.get(who, who)}"} if who else {}
        kw.setdefault("base_url", self.base_url)
        return httpx.AsyncClient(headers=headers, timeout=30, **kw)


async def start_server(settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn_config(app, settings, "127.0.0.1", port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task, f"127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: still argon2 through pwdlib, only the cost is lowered."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_dummy_hash", None)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@pytest.fixture
async def server(
    settings: Settings, db: Database, password_hash: str
) -> AsyncIterator[RunningServer]:
    """A jxc server on a free local port with one user per role (password ``PASSWORD``)."""
    tokens: dict[str, str] = {}
    async with db.session(write=True) as session:
        for role in Role:
            user = User(username=role.value, password_hash=password_hash, role=role)
            session.add(user)
            await session.flush()
            tokens[role.value] = create_token(
                f"user:{user.id}:{role.value}", settings.secret_key, settings.token_minutes
            )
    srv, task, host = await start_server(settings)
    running = RunningServer(f"http://{host}", f"ws://{host}", settings, srv.config.app, tokens)
    yield running
    srv.should_exit = True
    await asyncio.wait_for(task, 15)


# --- a small warehouse -------------------------------------------------------------------

EAN_PLAIN = "5901234123457"  # valid EAN-13
EAN_LOT = "4006381333931"  # valid EAN-13
EAN_SERIAL = "9780201379624"  # valid EAN-13 (ISBN)
GTIN_CASE = "15901234123454"  # GTIN-14 (indicator 1) of EAN_PLAIN's item, another product


@dataclass
class World:
    server: RunningServer
    device_key: str


@pytest.fixture
async def world(server: RunningServer) -> World:
    """WH1 with a dock, two bins, staging; WH2 with one bin; three products; one device."""
    async with server.client("admin") as c:
        for code, name in (("WH1", "Main"), ("WH2", "Second")):
            (await c.post("/api/warehouses", json={"code": code, "name": name})).raise_for_status()
        for code, wh, kind in (
            ("DOCK", "WH1", "dock"),
            ("A1", "WH1", "bin"),
            ("A2", "WH1", "bin"),
            ("STAGE", "WH1", "staging"),
            ("B1", "WH2", "bin"),
        ):
            r = await c.post(
                "/api/locations",
                json={"code": code, "warehouse": wh, "kind": kind, "barcode": f"LOC-{code}"},
            )
            r.raise_for_status()
        for sku, tracking, codes in (
            ("PLAIN", "none", [EAN_PLAIN, "INT-PLAIN"]),
            ("LOTTED", "lot", [EAN_LOT]),
            ("SERIAL", "serial", [EAN_SERIAL]),
        ):
            r = await c.post(
                "/api/products",
                json={"sku": sku, "name": sku.title(), "tracking": tracking, "barcodes": codes},
            )
            r.raise_for_status()
        r = await c.post(
            "/api/devices", json={"name": "dock-1", "location": "DOCK", "type": "receive"}
        )
        r.raise_for_status()
        server.tokens["device"] = r.json()["key"]
    return World(server, r.json()["key"])


def scan(**fields: Any) -> dict[str, Any]:
    """A scan with a fresh event_id."""
    return {"event_id": str(uuid.uuid4()), **fields}


def expect_error(r: httpx.Response, status: int, code: str) -> dict[str, str]:
    """Assert a JSON error of this status and code, with a sentence; return its body."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


async def user_token(
    server: RunningServer, username: str, role: str = "supervisor", warehouse: str | None = None
) -> str:
    """Create a user through the API (as admin), optionally bound to one warehouse, and
    return its bearer token."""
    async with server.client("admin") as c:
        body = {"username": username, "password": PASSWORD, "role": role, "warehouse": warehouse}
        r = await c.post("/api/users", json=body)
        assert r.status_code == 201, r.text
        r = await c.post("/api/auth/token", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])
