"""Locations through the HTTP API: CRUD, virtual locations, codes and barcodes, history."""

from __future__ import annotations

import httpx

from tests.conftest import World, expect_error, scan


async def codes(c: httpx.AsyncClient, **params: object) -> list[str]:
    r = await c.get("/api/locations", params=params)
    assert r.status_code == 200, r.text
    return [loc["code"] for loc in r.json()]


async def test_create_get_patch_delete(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post(
            "/api/locations",
            json={
                "code": "A3",
                "warehouse": "WH1",
                "kind": "bin",
                "barcode": "LOC-A3",
                "name": "Aisle A",
            },
        )
        assert r.status_code == 201, r.text
        created = {
            "code": "A3",
            "warehouse": "WH1",
            "kind": "bin",
            "barcode": "LOC-A3",
            "name": "Aisle A",
            "zone": None,
            "active": True,
            "virtual": False,
            "pick_sequence": None,
        }
        assert r.json() == created
        assert (await c.get("/api/locations/A3")).json() == created

        r = await c.patch(
            "/api/locations/A3",
            json={"name": "Aisle A, top", "barcode": "LOC-A3X", "active": False},
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            **created,
            "name": "Aisle A, top",
            "barcode": "LOC-A3X",
            "active": False,
        }
        # The old barcode is free again, the new one is taken.
        r = await c.post(
            "/api/locations", json={"code": "A4", "warehouse": "WH1", "barcode": "LOC-A3"}
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/locations", json={"code": "A5", "warehouse": "WH1", "barcode": "LOC-A3X"}
        )
        expect_error(r, 409, "already_exists")

        r = await c.delete("/api/locations/A3")
        assert r.status_code == 204, r.text
        expect_error(await c.get("/api/locations/A3"), 404, "not_found")
        assert await codes(c, warehouse="WH1") == ["A1", "A2", "A4", "DOCK", "STAGE"]


async def test_list_filters_and_hides_virtual_locations(world: World) -> None:
    async with world.server.client("admin") as c:
        assert await codes(c) == ["A1", "A2", "DOCK", "STAGE", "B1"]
        assert await codes(c, warehouse="WH2") == ["B1"]
        assert await codes(c, kind="bin") == ["A1", "A2", "B1"]
        assert await codes(c, kind="dock") == ["DOCK"]
        with_virtual = await codes(c, warehouse="WH1", include_virtual=True)
        assert sorted(with_virtual) == sorted(
            [
                "A1",
                "A2",
                "DOCK",
                "STAGE",
                "WH1:CUSTOMER",
                "WH1:LOSS",
                "WH1:SCRAP",
                "WH1:SUPPLIER",
                "WH1:TRANSIT",
            ]
        )
        assert await codes(c, kind="supplier") == ["WH1:SUPPLIER", "WH2:SUPPLIER"]
        r = await c.get("/api/locations", params={"kind": "attic"})
        expect_error(r, 422, "validation_error")
        expect_error(await c.get("/api/locations", params={"warehouse": "NOPE"}), 404, "not_found")


async def test_virtual_locations_cannot_be_created_or_deleted(world: World) -> None:
    async with world.server.client("admin") as c:
        for kind in ("supplier", "customer", "inventory-loss", "scrap", "in-transit"):
            r = await c.post(
                "/api/locations", json={"code": f"V-{kind}", "warehouse": "WH1", "kind": kind}
            )
            expect_error(r, 422, "validation_error")
        # A colon is reserved for the virtual locations' codes.
        r = await c.post("/api/locations", json={"code": "WH1:OTHER", "warehouse": "WH1"})
        expect_error(r, 422, "validation_error")
        for code in ("WH1:SUPPLIER", "WH1:CUSTOMER", "WH1:LOSS", "WH1:SCRAP", "WH1:TRANSIT"):
            expect_error(await c.delete(f"/api/locations/{code}"), 422, "validation_error")
        for patch in ({"active": False}, {"barcode": "LOC-SUP"}):
            r = await c.patch("/api/locations/WH1:SUPPLIER", json=patch)
            expect_error(r, 422, "validation_error")
        r = await c.patch("/api/locations/WH1:SUPPLIER", json={"name": "Vendors"})
        assert r.status_code == 200, r.text
        supplier = (await c.get("/api/locations/WH1:SUPPLIER")).json()
        assert (supplier["name"], supplier["active"], supplier["barcode"]) == (
            "Vendors",
            True,
            None,
        )
        after = await codes(c, warehouse="WH1", include_virtual=True)
        assert len(after) == 9
        assert not any(code.startswith("V-") for code in after)


async def test_duplicate_code_or_barcode_is_409(world: World) -> None:
    async with world.server.client("admin") as c:
        for body in (
            {"code": "A1", "warehouse": "WH1"},  # same code
            {"code": "A1", "warehouse": "WH2"},  # codes are unique across warehouses
            {"code": "A9", "warehouse": "WH1", "barcode": "LOC-A1"},  # another's barcode
            {"code": "LOC-A1", "warehouse": "WH1"},  # a code that is another's barcode
            {"code": "A9", "warehouse": "WH1", "barcode": "A2"},  # a barcode that is a code
        ):
            expect_error(await c.post("/api/locations", json=body), 409, "already_exists")
        expect_error(
            await c.patch("/api/locations/A2", json={"barcode": "LOC-A1"}), 409, "already_exists"
        )
        assert await codes(c) == ["A1", "A2", "DOCK", "STAGE", "B1"]
        assert (await c.get("/api/locations/A2")).json()["barcode"] == "LOC-A2"


async def test_patch_barcode_to_own_code_and_null_active(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.patch("/api/locations/A2", json={"barcode": "A2"})
        assert r.status_code == 200, r.text
        assert r.json()["barcode"] == "A2"
        r = await c.patch("/api/locations/A2", json={"barcode": None, "name": None})
        assert r.status_code == 200, r.text
        assert r.json()["barcode"] is None
        err = expect_error(
            await c.patch("/api/locations/A2", json={"active": None}), 422, "validation_error"
        )
        assert err["message"].startswith("active:")
        assert (await c.get("/api/locations/A2")).json()["active"] is True


async def test_unknown_warehouse_or_location_is_404(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post("/api/locations", json={"code": "Z1", "warehouse": "NOPE"})
        expect_error(r, 404, "not_found")
        expect_error(await c.get("/api/locations/NOPE"), 404, "not_found")
        expect_error(await c.patch("/api/locations/NOPE", json={"name": "x"}), 404, "not_found")
        expect_error(await c.delete("/api/locations/NOPE"), 404, "not_found")
        assert "Z1" not in await codes(c)


async def test_location_with_stock_history_cannot_be_deleted(world: World) -> None:
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code="PLAIN", qty=2, location="A1")
        )
        assert r.status_code == 200, r.text
    async with world.server.client("picker") as c:
        r = await c.post("/api/scans", json=scan(type="pick", code="PLAIN", qty=2, location="A1"))
        assert r.status_code == 200, r.text
        assert r.json()["on_hand"] == 0
    async with world.server.client("admin") as c:
        # Empty now, but it has history.
        expect_error(await c.delete("/api/locations/A1"), 409, "in_use")
        assert (await c.get("/api/locations/A1")).status_code == 200
        # Deactivating is the way out.
        r = await c.patch("/api/locations/A1", json={"active": False})
        assert r.json()["active"] is False


async def test_location_with_a_device_cannot_be_deleted(world: World) -> None:
    async with world.server.client("admin") as c:
        expect_error(await c.delete("/api/locations/DOCK"), 409, "in_use")
        assert (await c.get("/api/locations/DOCK")).status_code == 200
        r = await c.get("/api/devices")
        assert [d["location"] for d in r.json()] == ["DOCK"]


async def test_roles_for_locations(world: World) -> None:
    for role in ("picker", "receiver", "counter", "device"):
        async with world.server.client(role) as c:
            r = await c.post("/api/locations", json={"code": f"X-{role}", "warehouse": "WH1"})
            expect_error(r, 403, "forbidden")
            expect_error(await c.patch("/api/locations/A1", json={"name": "x"}), 403, "forbidden")
            expect_error(await c.delete("/api/locations/A2"), 403, "forbidden")
            # Reading is for everyone.
            assert "A1" in await codes(c)
    async with world.server.client("admin") as c:
        assert await codes(c) == ["A1", "A2", "DOCK", "STAGE", "B1"]
        assert (await c.get("/api/locations/A1")).json()["name"] is None
