"""Users through the HTTP API: who may create them, what they see of themselves."""

from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, RunningServer, World, expect_error

ROLES = ("picker", "receiver", "counter", "supervisor", "admin")


async def login(server: RunningServer, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        return await c.post("/api/auth/token", data={"username": username, "password": password})


async def usernames(server: RunningServer) -> list[str]:
    async with server.client("admin") as c:
        r = await c.get("/api/users")
        assert r.status_code == 200, r.text
        return [u["username"] for u in r.json()]


async def test_admin_creates_a_user_who_can_log_in(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post(
            "/api/users",
            json={
                "username": "li.wei",
                "password": "s3cret-pass",
                "role": "picker",
                "full_name": "Li Wei",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json() == {
            "username": "li.wei",
            "full_name": "Li Wei",
            "role": "picker",
            "warehouse": None,
            "active": True,
        }
        assert "password" not in r.text and "hash" not in r.text
    r = await login(server, "li.wei", "s3cret-pass")
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    async with server.client(token) as c:
        me = (await c.get("/api/users/me")).json()
        assert me == {
            "username": "li.wei",
            "full_name": "Li Wei",
            "role": "picker",
            "warehouse": None,
            "active": True,
        }
    assert "li.wei" in await usernames(server)


async def test_list_users_shows_everyone_with_their_warehouse(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/users",
            json={
                "username": "bound",
                "password": "long-enough",
                "role": "counter",
                "warehouse": "WH2",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["warehouse"] == "WH2"
        users = {u["username"]: u for u in (await c.get("/api/users")).json()}
    assert sorted(users) == sorted([*ROLES, "bound"])
    assert users["bound"]["warehouse"] == "WH2"
    assert users["picker"] == {
        "username": "picker",
        "full_name": None,
        "role": "picker",
        "warehouse": None,
        "active": True,
    }


async def test_only_admin_creates_and_lists_users(server: RunningServer) -> None:
    for role in ("picker", "receiver", "counter", "supervisor"):
        async with server.client(role) as c:
            r = await c.post(
                "/api/users",
                json={"username": f"new-{role}", "password": "long-enough", "role": "admin"},
            )
            expect_error(r, 403, "forbidden")
            expect_error(await c.get("/api/users"), 403, "forbidden")
    assert await usernames(server) == sorted(ROLES)


async def test_duplicate_user_is_409(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post(
            "/api/users", json={"username": "picker", "password": "other-pass", "role": "admin"}
        )
        expect_error(r, 409, "already_exists")
    # The original is untouched: same role, same password.
    assert (await login(server, "picker", PASSWORD)).status_code == 200
    assert (await login(server, "picker", "other-pass")).status_code == 401
    async with server.client("picker") as c:
        assert (await c.get("/api/users/me")).json()["role"] == "picker"


async def test_invalid_users_are_422_and_unknown_warehouse_404(server: RunningServer) -> None:
    async with server.client("admin") as c:
        for body in (
            {"username": "ok-name", "password": "short", "role": "picker"},
            {"username": "ok-name", "password": "long-enough", "role": "king"},
            {"username": "has space", "password": "long-enough", "role": "picker"},
            {"username": "x", "password": "long-enough", "role": "picker"},
            {"username": "ok-name", "password": "long-enough"},
            {"username": "ok-name", "password": "long-enough", "role": "picker", "admin": True},
        ):
            expect_error(await c.post("/api/users", json=body), 422, "validation_error")
        r = await c.post(
            "/api/users",
            json={
                "username": "ok-name",
                "password": "long-enough",
                "role": "picker",
                "warehouse": "NOPE",
            },
        )
        expect_error(r, 404, "not_found")
    assert await usernames(server) == sorted(ROLES)


async def test_me_for_every_role(server: RunningServer) -> None:
    for role in ROLES:
        async with server.client(role) as c:
            r = await c.get("/api/users/me")
            assert r.status_code == 200, r.text
            assert r.json()["username"] == role
            assert r.json()["role"] == role


async def test_me_for_a_device_is_403(world: World) -> None:
    async with world.server.client("device") as c:
        expect_error(await c.get("/api/users/me"), 403, "forbidden")
