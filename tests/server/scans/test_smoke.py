from tests.conftest import World, scan


async def test_receive_then_pick(world: World) -> None:
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code="5901234123457", qty=5, location="A1")
        )
        assert r.status_code == 200, r.text
        assert r.json()["on_hand"] == 5
    async with world.server.client("picker") as c:
        r = await c.post(
            "/api/scans", json=scan(type="pick", code="PLAIN", qty=2, location="LOC-A1")
        )
        assert r.json()["on_hand"] == 3
