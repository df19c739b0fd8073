"""Devices through the HTTP API: registration, their one-time key, what a key may do."""

from __future__ import annotations

from tests.conftest import World, expect_error, scan


async def device_names(world: World) -> list[str]:
    async with world.server.client("admin") as c:
        r = await c.get("/api/devices")
        assert r.status_code == 200, r.text
        return [d["name"] for d in r.json()]


async def test_register_a_device_and_use_its_key(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/devices", json={"name": "stage-pick", "location": "LOC-STAGE", "type": "pick"}
        )
        assert r.status_code == 201, r.text
        created = r.json()
    key = created.pop("key")
    assert key.startswith("jxcd_") and len(key) > 40
    assert created == {
        "name": "stage-pick",
        "warehouse": "WH1",
        "location": "STAGE",
        "type": "pick",
        "key_prefix": key[:12],
        "active": True,
        "last_seen_at": None,
        "online": False,
        "health": None,
    }
    async with world.server.client(key) as c:
        r = await c.get("/api/products/PLAIN")
        assert r.status_code == 200, r.text
    async with world.server.client("admin") as c:
        listed = {d["name"]: d for d in (await c.get("/api/devices")).json()}
    assert set(listed) == {"dock-1", "stage-pick"}
    assert "key" not in listed["stage-pick"]
    assert key not in str(listed)
    # The key was used just now.
    assert listed["stage-pick"]["last_seen_at"] is not None


async def test_device_key_scans_with_its_type_and_location(world: World) -> None:
    async with world.server.client("device") as c:
        r = await c.post("/api/scans", json=scan(code="PLAIN", qty=3))
        assert r.status_code == 200, r.text
        assert r.json()["type"] == "receive"
        assert r.json()["location"] == "DOCK"
        assert r.json()["on_hand"] == 3
        r = await c.post("/api/scans", json=scan(type="pick", code="PLAIN", qty=1))
        expect_error_body = r.json()
        assert r.status_code == 403, r.text
        assert expect_error_body["error"]["code"] == "forbidden"


async def test_device_cannot_manage_accounts_or_catalog(world: World) -> None:
    async with world.server.client("device") as c:
        for method, url, body in (
            ("POST", "/api/warehouses", {"code": "WH7", "name": "x"}),
            ("POST", "/api/locations", {"code": "Z1", "warehouse": "WH1"}),
            ("POST", "/api/products", {"sku": "Z", "name": "z"}),
            ("PATCH", "/api/products/PLAIN", {"name": "z"}),
            ("DELETE", "/api/products/SERIAL", None),
            (
                "POST",
                "/api/users",
                {"username": "sneaky", "password": "long-enough", "role": "admin"},
            ),
            ("GET", "/api/users", None),
            ("POST", "/api/devices", {"name": "clone", "location": "DOCK"}),
            ("GET", "/api/devices", None),
        ):
            r = await c.request(method, url, json=body)
            expect_error(r, 403, "forbidden")
    async with world.server.client("admin") as c:
        assert [w["code"] for w in (await c.get("/api/warehouses")).json()] == ["WH1", "WH2"]
        assert (await c.get("/api/products/PLAIN")).json()["name"] == "Plain"
        assert (await c.get("/api/products/SERIAL")).status_code == 200
        assert "sneaky" not in [u["username"] for u in (await c.get("/api/users")).json()]
    assert await device_names(world) == ["dock-1"]


async def test_only_admin_registers_devices_supervisor_lists_them(world: World) -> None:
    for role in ("picker", "receiver", "counter", "supervisor"):
        async with world.server.client(role) as c:
            r = await c.post("/api/devices", json={"name": f"d-{role}", "location": "A1"})
            expect_error(r, 403, "forbidden")
    async with world.server.client("supervisor") as c:
        assert [d["name"] for d in (await c.get("/api/devices")).json()] == ["dock-1"]
    async with world.server.client("picker") as c:
        expect_error(await c.get("/api/devices"), 403, "forbidden")
    assert await device_names(world) == ["dock-1"]


async def test_bad_device_registrations(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post("/api/devices", json={"name": "dock-1", "location": "A1"})
        expect_error(r, 409, "already_exists")
        r = await c.post("/api/devices", json={"name": "nowhere", "location": "NOPE"})
        expect_error(r, 422, "unknown_location")
        r = await c.post("/api/devices", json={"name": "virtual", "location": "WH1:SUPPLIER"})
        expect_error(r, 422, "invalid_location")
        r = await c.post(
            "/api/devices", json={"name": "adjuster", "location": "A1", "type": "adjust"}
        )
        expect_error(r, 422, "validation_error")
        for body in (
            {"name": "x", "location": "A1"},  # too short
            {"name": "bad name", "location": "A1"},
            {"name": "ok-name", "location": "A1", "type": "teleport"},
            {"name": "ok-name"},
        ):
            expect_error(await c.post("/api/devices", json=body), 422, "validation_error")
    assert await device_names(world) == ["dock-1"]


async def test_agent_reports_device_health_supervisor_sees_it(world: World) -> None:
    report = {
        "state": "error",
        "last_read_at": "2026-11-22T08:00:00Z",
        "error": "connection refused by 10.0.0.40:51236",
        "outbox": 12,
        "dead_letters": 1,
    }
    async with world.server.client("device") as c:
        r = await c.post("/api/devices/health", json=report)
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "dock-1" and r.json()["online"] is True
    async with world.server.client("supervisor") as c:
        listed = {d["name"]: d for d in (await c.get("/api/devices")).json()}
    health = listed["dock-1"]["health"]
    assert listed["dock-1"]["online"] is True
    assert health["state"] == "error" and health["error"] == report["error"]
    assert (health["outbox"], health["dead_letters"]) == (12, 1)
    assert health["last_read_at"].startswith("2026-11-22T08:00:00")
    assert health["reported_at"] is not None


async def test_health_is_reported_by_devices_only_and_validated(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post("/api/devices/health", json={"state": "connected"})
        expect_error(r, 403, "forbidden")
    async with world.server.client("device") as c:
        for bad in ({"state": "sleepy"}, {"state": "connected", "outbox": -1}, {}):
            r = await c.post("/api/devices/health", json=bad)
            assert r.status_code == 422, r.text
    async with world.server.client("admin") as c:
        listed = {d["name"]: d for d in (await c.get("/api/devices")).json()}
    assert listed["dock-1"]["health"] is None and listed["dock-1"]["online"] is False
