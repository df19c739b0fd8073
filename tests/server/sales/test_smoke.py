from __future__ import annotations

from tests.conftest import EAN_PLAIN, World
from tests.server.sales.flows import confirmed, customer, ok, pick, receive


async def test_smoke(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 4, 2.5)])
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert o["status"] == "reserved", o
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        r = await ok(
            await c.post(f"/api/pick-lists/{pl['number']}/scans", json=pick("A1", EAN_PLAIN, qty=4))
        )
        assert r["result"]["status"] == "applied", r
        await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        o = await ok(await c.post(f"/api/sales-orders/{number}/ship", json={}))
        assert o["status"] == "shipped", o
