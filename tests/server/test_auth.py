"""Signing in and being recognised: passwords, bearer tokens, device keys, disabled accounts."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import update

from server.auth import security
from server.auth.security import create_token
from server.db import Database
from server.models import Device, User
from tests.conftest import PASSWORD, RunningServer, World


def expect_401(r: httpx.Response) -> str:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == "not_authenticated", body
    return str(body["error"]["message"])


async def login(server: RunningServer, username: str, password: str) -> httpx.Response:
    async with server.client(None) as c:
        return await c.post("/api/auth/token", data={"username": username, "password": password})


async def me(server: RunningServer, credential: str | None) -> httpx.Response:
    async with server.client(credential) as c:
        return await c.get("/api/users/me")


async def test_good_login_gives_a_bearer_token_that_works(server: RunningServer) -> None:
    r = await login(server, "counter", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], server.settings.secret_key, algorithms=["HS256"])
    assert claims["sub"].endswith(":counter")
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == server.settings.token_minutes * 60
    r = await me(server, body["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "counter"
    assert r.json()["role"] == "counter"


async def test_wrong_password_and_unknown_user_look_the_same(server: RunningServer) -> None:
    wrong = expect_401(await login(server, "counter", PASSWORD + "x"))
    unknown = expect_401(await login(server, "nobody", PASSWORD))
    assert wrong == unknown
    async with server.client(None) as c:  # an empty password is not even a login
        r = await c.post("/api/auth/token", data={"username": "counter", "password": ""})
        assert r.status_code == 422, r.text
    expect_401(await login(server, "COUNTER", PASSWORD))  # usernames are exact


async def test_login_form_is_required(server: RunningServer) -> None:
    async with server.client(None) as c:
        r = await c.post("/api/auth/token", data={"username": "counter"})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "validation_error"
        r = await c.post("/api/auth/token", json={"username": "counter", "password": PASSWORD})
        assert r.status_code == 422, r.text


async def test_disabled_user_cannot_log_in_and_loses_its_token(
    server: RunningServer, db: Database
) -> None:
    token = (await login(server, "receiver", PASSWORD)).json()["access_token"]
    async with db.session(write=True) as session:
        await session.execute(
            update(User).where(User.username == "receiver").values(active=False)  # type: ignore[arg-type]
        )
    message = expect_401(await login(server, "receiver", PASSWORD))
    assert message == expect_401(await login(server, "receiver", "wrong-password"))
    expect_401(await me(server, token))
    # Others are unaffected.
    assert (await me(server, server.tokens["picker"])).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Bearer jxcd_not-a-real-device-key",
        "Basic YWRtaW46dGVzdC1wYXNzLTEyMw==",  # admin:test-pass-123, but not a bearer
        "Token abc",
    ],
)
async def test_missing_or_malformed_credentials_are_401(
    server: RunningServer, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as c:
        for method, url in (
            ("GET", "/api/products"),
            ("GET", "/api/stock"),
            ("POST", "/api/warehouses"),
            ("GET", "/api/users/me"),
        ):
            expect_401(await c.request(method, url, json={"code": "WH9", "name": "x"}))
    async with server.client("admin") as c:
        assert (await c.get("/api/warehouses")).json() == []


async def test_expired_and_forged_tokens_are_401(server: RunningServer) -> None:
    secret = server.settings.secret_key
    good = jwt.decode(server.tokens["admin"], secret, algorithms=["HS256"])
    subject = good["sub"]

    expired = create_token(subject, secret, minutes=-1)
    assert "expired" in expect_401(await me(server, expired))

    forged = create_token(subject, "another-secret-that-is-32-bytes-long!", minutes=60)
    expect_401(await me(server, forged))

    now = datetime.now(UTC)
    no_exp = jwt.encode({"sub": subject, "iat": now}, secret, algorithm="HS256")
    expect_401(await me(server, no_exp))

    none_alg = jwt.encode({"sub": subject, "exp": now + timedelta(hours=1)}, None, algorithm="none")
    expect_401(await me(server, none_alg))

    for odd_subject in ("device:1:dock", "user", "user:1", "user:x:admin", "user:1:", "admin", ""):
        token = create_token(odd_subject, secret, minutes=60)
        expect_401(await me(server, token))

    # A valid signature for a user that does not exist.
    ghost = create_token("user:999:ghost", secret, minutes=60)
    expect_401(await me(server, ghost))
    # An existing name under another id: the user it was issued to is gone.
    user_id = int(subject.split(":")[1])
    stale = create_token(f"user:{user_id + 100}:admin", secret, minutes=60)
    expect_401(await me(server, stale))
    # The genuine token still works.
    assert (await me(server, server.tokens["admin"])).status_code == 200


async def test_device_key_authenticates(world: World) -> None:
    async with world.server.client(world.device_key) as c:
        r = await c.get("/api/warehouses")
        assert r.status_code == 200, r.text
        assert r.json() == [{"code": "WH1", "name": "Main"}]
    # A key that differs in one character is refused.
    last = world.device_key[-1]
    tampered = world.device_key[:-1] + ("A" if last != "A" else "B")
    async with world.server.client(tampered) as c:
        expect_401(await c.get("/api/warehouses"))


async def test_disabled_device_key_is_401(world: World, db: Database) -> None:
    async with world.server.client("admin") as c:
        r = await c.post("/api/devices", json={"name": "spare", "location": "A1"})
        assert r.status_code == 201, r.text
        key = r.json()["key"]
    async with db.session(write=True) as session:
        await session.execute(
            update(Device).where(Device.name == "spare").values(active=False)  # type: ignore[arg-type]
        )
    async with world.server.client(key) as c:
        expect_401(await c.get("/api/warehouses"))


class GatedHasher:
    """Wraps a hasher; ``verify`` and ``hash`` block their thread until the gate opens."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.timed_out = False

    def _wait(self) -> None:
        self.entered.set()
        if not self.gate.wait(5):
            self.timed_out = True

    def verify(self, password: str, hashed: str) -> bool:
        self._wait()
        return bool(self.inner.verify(password, hashed))

    def hash(self, password: str) -> str:
        self._wait()
        return str(self.inner.hash(password))


async def gated(
    server: RunningServer, hasher: GatedHasher, request: Awaitable[httpx.Response]
) -> httpx.Response:
    """Start ``request``; while its password hashing is held, the server must still answer."""
    task = asyncio.ensure_future(request)
    while not hasher.entered.is_set():
        assert not task.done(), task.result().text
        await asyncio.sleep(0.01)
    async with server.client(None) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
    assert not hasher.timed_out, "the event loop waited for password hashing"
    hasher.gate.set()
    r = await task
    assert not hasher.timed_out, "the event loop waited for password hashing"
    return r


async def test_login_hashing_does_not_block_the_server(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = GatedHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", hasher)
    r = await gated(server, hasher, login(server, "picker", PASSWORD))
    assert r.status_code == 200, r.text


async def test_creating_a_user_does_not_block_the_server(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = GatedHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", hasher)

    async def create() -> httpx.Response:
        async with server.client("admin") as c:
            return await c.post(
                "/api/users",
                json={"username": "new-one", "password": "long-enough", "role": "picker"},
            )

    r = await gated(server, hasher, create())
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's single lock
async def test_unknown_device_key_does_not_wait_for_the_write_lock(
    server: RunningServer, database_url: str
) -> None:
    """On SQLite one writer at a time: a bad key is refused while another holds the lock."""
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        headers = {"Authorization": "Bearer jxcd_not-a-known-device-key"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=5) as c:
            expect_401(await c.get("/api/warehouses"))
    finally:
        holder.rollback()
        holder.close()
