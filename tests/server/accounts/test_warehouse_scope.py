"""A user bound to one warehouse sees and changes that warehouse only."""

from __future__ import annotations

import pytest

from tests.conftest import World, expect_error, scan, user_token


async def bound_user(world: World, username: str, role: str, warehouse: str) -> str:
    """Create a user bound to ``warehouse`` and return its token."""
    return await user_token(world.server, username, role, warehouse)


@pytest.fixture
async def wh2_super(world: World) -> str:
    return await bound_user(world, "wh2-super", "supervisor", "WH2")


async def test_bound_user_lists_only_its_warehouse(world: World, wh2_super: str) -> None:
    async with world.server.client(wh2_super) as c:
        assert (await c.get("/api/users/me")).json()["warehouse"] == "WH2"
        assert (await c.get("/api/warehouses")).json() == [{"code": "WH2", "name": "Second"}]
        r = await c.get("/api/locations", params={"include_virtual": True})
        assert {loc["warehouse"] for loc in r.json()} == {"WH2"}
        assert len(r.json()) == 6  # B1 and its five virtual locations
        # Products are shared by every warehouse.
        assert len((await c.get("/api/products")).json()) == 3


async def test_bound_user_cannot_reach_other_warehouse_objects(
    world: World, wh2_super: str
) -> None:
    async with world.server.client(wh2_super) as c:
        expect_error(await c.get("/api/warehouses/WH1"), 404, "not_found")
        expect_error(await c.get("/api/locations/A1"), 404, "not_found")
        expect_error(await c.get("/api/locations/WH1:SUPPLIER"), 404, "not_found")
        expect_error(await c.get("/api/locations", params={"warehouse": "WH1"}), 404, "not_found")
        expect_error(await c.patch("/api/locations/A1", json={"name": "mine"}), 404, "not_found")
        expect_error(await c.delete("/api/locations/A2"), 404, "not_found")
        r = await c.post("/api/locations", json={"code": "SNEAK", "warehouse": "WH1"})
        assert r.status_code in (403, 404), r.text
        expect_error(await c.get("/api/stock", params={"warehouse": "WH1"}), 403, "forbidden")
        expect_error(await c.get("/api/moves", params={"warehouse": "WH1"}), 403, "forbidden")
        # In its own warehouse it works.
        r = await c.post("/api/locations", json={"code": "B2", "warehouse": "WH2"})
        assert r.status_code == 201, r.text
        assert (await c.get("/api/stock", params={"warehouse": "WH2"})).status_code == 200
    async with world.server.client("admin") as c:
        a1 = (await c.get("/api/locations/A1")).json()
        assert a1["name"] is None
        assert (await c.get("/api/locations/A2")).status_code == 200
        codes = [loc["code"] for loc in (await c.get("/api/locations")).json()]
        assert "SNEAK" not in codes and "B2" in codes


async def test_bound_user_stock_and_scans(world: World) -> None:
    async with world.server.client("receiver") as c:
        for loc in ("A1", "B1"):
            r = await c.post(
                "/api/scans", json=scan(type="receive", code="PLAIN", qty=2, location=loc)
            )
            assert r.status_code == 200, r.text
    token = await bound_user(world, "wh2-picker", "picker", "WH2")
    async with world.server.client(token) as c:
        rows = (await c.get("/api/stock")).json()
        assert [(row["warehouse"], row["location"], row["qty"]) for row in rows] == [
            ("WH2", "B1", 2)
        ]
        moves = (await c.get("/api/moves")).json()
        assert {m["warehouse"] for m in moves} == {"WH2"}
        r = await c.post("/api/scans", json=scan(type="pick", code="PLAIN", qty=1, location="A1"))
        assert r.status_code == 403, r.text
        r = await c.post("/api/scans", json=scan(type="pick", code="PLAIN", qty=1, location="B1"))
        assert r.status_code == 200, r.text
    async with world.server.client("admin") as c:
        rows = (await c.get("/api/stock", params={"sku": "PLAIN"})).json()
        assert {row["location"]: row["qty"] for row in rows} == {"A1": 2, "B1": 1}


async def test_bound_admin_stays_in_its_warehouse(world: World) -> None:
    token = await bound_user(world, "wh2-admin", "admin", "WH2")
    async with world.server.client(token) as c:
        r = await c.post("/api/devices", json={"name": "wh1-dev", "location": "A1"})
        expect_error(r, 403, "forbidden")
        r = await c.post(
            "/api/users",
            json={
                "username": "wh1-user",
                "password": "long-enough",
                "role": "admin",
                "warehouse": "WH1",
            },
        )
        expect_error(r, 403, "forbidden")
        r = await c.post(
            "/api/users", json={"username": "anywhere", "password": "long-enough", "role": "admin"}
        )
        expect_error(r, 403, "forbidden")
        r = await c.post("/api/devices", json={"name": "wh2-dev", "location": "B1"})
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/users",
            json={
                "username": "wh2-user",
                "password": "long-enough",
                "role": "picker",
                "warehouse": "WH2",
            },
        )
        assert r.status_code == 201, r.text
        assert [d["name"] for d in (await c.get("/api/devices")).json()] == ["wh2-dev"]
        # It lists the users of its warehouse only.
        names = [u["username"] for u in (await c.get("/api/users")).json()]
        assert names == ["wh2-admin", "wh2-user"]
    async with world.server.client("admin") as c:
        names = [u["username"] for u in (await c.get("/api/users")).json()]
        assert "wh1-user" not in names and "anywhere" not in names and "wh2-user" in names
        assert [d["name"] for d in (await c.get("/api/devices")).json()] == ["dock-1", "wh2-dev"]


async def test_device_sees_only_its_warehouse(world: World) -> None:
    async with world.server.client("device") as c:
        assert (await c.get("/api/warehouses")).json() == [{"code": "WH1", "name": "Main"}]
        expect_error(await c.get("/api/locations/B1"), 404, "not_found")
        expect_error(await c.get("/api/stock", params={"warehouse": "WH2"}), 403, "forbidden")
