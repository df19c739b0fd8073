"""Two docks receiving against one PO at once never over-count: the over-receipt limit is
enforced by the ledger writer (a cap per PO line, in its transaction), not by a read before
posting that both docks could pass together."""

from __future__ import annotations

import asyncio

from tests.conftest import EAN_PLAIN, World, scan
from tests.server.inbound import make_po, make_supplier, ok, on_hand, open_receipt


async def test_two_docks_receiving_the_same_po_at_once_never_over_count(world: World) -> None:
    async with world.server.client("admin") as ac:
        r = await ac.post(
            "/api/locations", json={"code": "DOCK2", "warehouse": "WH1", "kind": "dock"}
        )
        assert r.status_code == 201, r.text
        await make_supplier(ac)
        po = (await make_po(ac, [{"sku": "PLAIN", "qty": 10, "unit_price": 3}]))["number"]
    async with world.server.client("receiver") as c:
        one = (await open_receipt(c, po=po))["number"]
        two = (await open_receipt(c, po=po, dock="DOCK2"))["number"]
        bodies = [(n, scan(code=EAN_PLAIN, qty=1)) for _ in range(9) for n in (one, two)]
        answers = await asyncio.gather(
            *(c.post(f"/api/receipts/{n}/scans", json=b) for n, b in bodies)
        )
        applied = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code != 200]
        # Ordered 10, tolerance 5%: at most 10.5 in all, so exactly ten scans of 1.
        assert len(applied) == 10, [a.text for a in refused]
        assert {(a.status_code, a.json()["error"]["code"]) for a in refused} == {
            (409, "over_receipt")
        }
        stock = await on_hand(c, warehouse="WH1")
        assert stock.get(("DOCK", "PLAIN", None), 0) + stock.get(("DOCK2", "PLAIN", None), 0) == 10
        for n in (one, two):
            await ok(await c.post(f"/api/receipts/{n}/close"))
        got = await ok(await c.get(f"/api/purchase-orders/{po}"))
        assert (got["status"], got["lines"][0]["received"]) == ("received", 10)
        moves = [m for m in await ok(await c.get("/api/moves")) if m["reference"] in (one, two)]
        assert sum(m["qty"] for m in moves) == 10
