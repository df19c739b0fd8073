"""Warehouses through the HTTP API: CRUD, their virtual locations, roles and errors."""

from __future__ import annotations

from tests.conftest import RunningServer, World, expect_error, scan

VIRTUAL = {
    "WH9:SUPPLIER": "supplier",
    "WH9:CUSTOMER": "customer",
    "WH9:LOSS": "inventory-loss",
    "WH9:SCRAP": "scrap",
    "WH9:TRANSIT": "in-transit",
}


async def test_create_list_get_patch_delete(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post("/api/warehouses", json={"code": "WH9", "name": "Ninth"})
        assert r.status_code == 201, r.text
        assert r.json() == {"code": "WH9", "name": "Ninth"}

        r = await c.get("/api/warehouses")
        assert r.status_code == 200
        assert r.json() == [{"code": "WH9", "name": "Ninth"}]

        r = await c.get("/api/warehouses/WH9")
        assert r.json() == {"code": "WH9", "name": "Ninth"}

        r = await c.patch("/api/warehouses/WH9", json={"name": "Renamed"})
        assert r.status_code == 200, r.text
        assert r.json() == {"code": "WH9", "name": "Renamed"}
        assert (await c.get("/api/warehouses/WH9")).json()["name"] == "Renamed"

        r = await c.delete("/api/warehouses/WH9")
        assert r.status_code == 204, r.text
        assert r.content == b""
        expect_error(await c.get("/api/warehouses/WH9"), 404, "not_found")
        assert (await c.get("/api/warehouses")).json() == []
        r = await c.get("/api/locations", params={"include_virtual": True})
        assert r.json() == []


async def test_creating_a_warehouse_makes_its_virtual_locations(server: RunningServer) -> None:
    async with server.client("admin") as c:
        (await c.post("/api/warehouses", json={"code": "WH9", "name": "Ninth"})).raise_for_status()

        assert (await c.get("/api/locations")).json() == []
        r = await c.get("/api/locations", params={"include_virtual": True})
        found = {loc["code"]: loc for loc in r.json()}
        assert set(found) == set(VIRTUAL)
        for code, kind in VIRTUAL.items():
            assert found[code]["kind"] == kind
            assert found[code]["virtual"] is True
            assert found[code]["warehouse"] == "WH9"
        # A single virtual location can be read by its code.
        r = await c.get("/api/locations/WH9:LOSS")
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "inventory-loss"


async def test_duplicate_warehouse_is_409_and_keeps_the_original(server: RunningServer) -> None:
    async with server.client("admin") as c:
        (await c.post("/api/warehouses", json={"code": "WH9", "name": "Ninth"})).raise_for_status()
        r = await c.post("/api/warehouses", json={"code": "WH9", "name": "Other"})
        expect_error(r, 409, "already_exists")
        assert (await c.get("/api/warehouses")).json() == [{"code": "WH9", "name": "Ninth"}]
        r = await c.get("/api/locations", params={"include_virtual": True})
        assert len(r.json()) == len(VIRTUAL)


async def test_invalid_warehouse_bodies_are_422(server: RunningServer) -> None:
    async with server.client("admin") as c:
        for body in (
            {"code": "WH:1", "name": "colon is reserved"},
            {"code": "", "name": "empty"},
            {"code": "W" * 33, "name": "too long"},
            {"code": "WH1"},
            {"code": "WH1", "name": "x", "extra": 1},
        ):
            expect_error(await c.post("/api/warehouses", json=body), 422, "validation_error")
        assert (await c.get("/api/warehouses")).json() == []


async def test_patch_with_null_name_is_422_not_500(server: RunningServer) -> None:
    async with server.client("admin") as c:
        (await c.post("/api/warehouses", json={"code": "WH9", "name": "Ninth"})).raise_for_status()
        err = expect_error(
            await c.patch("/api/warehouses/WH9", json={"name": None}), 422, "validation_error"
        )
        assert err["message"].startswith("name:")
        # An empty patch changes nothing.
        r = await c.patch("/api/warehouses/WH9", json={})
        assert r.status_code == 200 and r.json()["name"] == "Ninth"
        assert (await c.get("/api/warehouses/WH9")).json()["name"] == "Ninth"


async def test_unknown_warehouse_is_404(server: RunningServer) -> None:
    async with server.client("admin") as c:
        expect_error(await c.get("/api/warehouses/NOPE"), 404, "not_found")
        expect_error(await c.patch("/api/warehouses/NOPE", json={"name": "x"}), 404, "not_found")
        expect_error(await c.delete("/api/warehouses/NOPE"), 404, "not_found")


async def test_only_admin_manages_warehouses(server: RunningServer) -> None:
    async with server.client("admin") as c:
        (await c.post("/api/warehouses", json={"code": "WH9", "name": "Ninth"})).raise_for_status()
    for role in ("supervisor", "receiver", "picker", "counter"):
        async with server.client(role) as c:
            r = await c.post("/api/warehouses", json={"code": f"X{role}", "name": "x"})
            expect_error(r, 403, "forbidden")
            expect_error(await c.patch("/api/warehouses/WH9", json={"name": "x"}), 403, "forbidden")
            expect_error(await c.delete("/api/warehouses/WH9"), 403, "forbidden")
            # Everyone may read.
            assert (await c.get("/api/warehouses")).json() == [{"code": "WH9", "name": "Ninth"}]
    async with server.client("admin") as c:
        assert (await c.get("/api/warehouses")).json() == [{"code": "WH9", "name": "Ninth"}]


async def test_warehouse_with_stock_history_cannot_be_deleted(world: World) -> None:
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code="PLAIN", qty=1, location="A1")
        )
        assert r.status_code == 200, r.text
    async with world.server.client("admin") as c:
        expect_error(await c.delete("/api/warehouses/WH1"), 409, "in_use")
        assert (await c.get("/api/warehouses/WH1")).status_code == 200
        r = await c.get("/api/locations", params={"warehouse": "WH1"})
        assert {loc["code"] for loc in r.json()} == {"DOCK", "A1", "A2", "STAGE"}


async def test_warehouse_with_a_bound_device_or_user_cannot_be_deleted(world: World) -> None:
    """WH1 has the fixture's device at DOCK; WH2 gets a bound user. Neither may vanish."""
    async with world.server.client("admin") as c:
        expect_error(await c.delete("/api/warehouses/WH1"), 409, "in_use")
        r = await c.post(
            "/api/users",
            json={
                "username": "wh2-user",
                "password": "long-enough-1",
                "role": "picker",
                "warehouse": "WH2",
            },
        )
        assert r.status_code == 201, r.text
        expect_error(await c.delete("/api/warehouses/WH2"), 409, "in_use")
        assert {w["code"] for w in (await c.get("/api/warehouses")).json()} == {"WH1", "WH2"}
        r = await c.get("/api/locations", params={"warehouse": "WH2", "include_virtual": True})
        assert len(r.json()) == 1 + len(VIRTUAL)


async def test_empty_warehouse_with_locations_is_deleted_whole(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.delete("/api/warehouses/WH2")
        assert r.status_code == 204, r.text
        assert {w["code"] for w in (await c.get("/api/warehouses")).json()} == {"WH1"}
        r = await c.get("/api/locations", params={"include_virtual": True})
        assert {loc["warehouse"] for loc in r.json()} == {"WH1"}
        expect_error(await c.get("/api/locations/B1"), 404, "not_found")
