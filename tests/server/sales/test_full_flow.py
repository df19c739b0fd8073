"""The whole outbound chain in one go, on SQLite and PostgreSQL: orders -> reservations ->
a wave pick list allocated FEFO across lots of different expiries -> picking by scan with
wrong scans refused -> a short pick re-allocated -> pack -> ship -> deliver -> a return with
its reason -> restock. The ledger balances at the end."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error
from tests.server.sales.flows import available, confirmed, customer, ok, pick, receive, stock
from tests.server.sales.test_orders import days


async def test_order_to_restock(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 1}))
        await ok(await c.patch("/api/locations/A2", json={"pick_sequence": 2}))
        await receive(c, EAN_LOT, 4, "A2", lot="LATE", expiry=days(120))
        await receive(c, EAN_LOT, 3, "A1", lot="SOON", expiry=days(20))
        await receive(c, EAN_LOT, 2, "A2", lot="GONE", expiry=days(-3))
        await receive(c, EAN_PLAIN, 3, "A1")
        await receive(c, EAN_PLAIN, 5, "A2")
        await customer(c, "ACME", credit_limit=10_000)
        await customer(c, "BETA")
        one = await confirmed(c, [("LOTTED", 5, 10), ("PLAIN", 2, 5)], promised_date=days(1))
        two = await confirmed(c, [("PLAIN", 3, 5)], customer_code="BETA")
        assert (await available(c, "LOTTED"))["available"] == 2  # 7 unexpired - 5 reserved

        wave = await ok(await c.post("/api/pick-lists", json={"orders": [one, two]}), 201)
        lines = [
            (ln["location"], ln["sku"], ln["lot"], ln["qty"], ln["order"]) for ln in wave["lines"]
        ]
        assert lines == [
            ("A1", "PLAIN", None, 2, one),
            ("A1", "PLAIN", None, 1, two),
            ("A1", "LOTTED", "SOON", 3, one),  # earliest expiry first, GONE never
            ("A2", "PLAIN", None, 2, two),
            ("A2", "LOTTED", "LATE", 2, one),
        ]
        url = f"/api/pick-lists/{wave['number']}"

    async with world.server.client("picker") as p:
        lot = "(01)0" + EAN_LOT + "(10){}"
        expect_error(
            await p.post(f"{url}/scans", json=pick("A2", EAN_PLAIN, qty=3)), 409, "over_pick"
        )
        expect_error(
            await p.post(f"{url}/scans", json=pick("A1", lot.format("LATE"))), 422, "wrong_lot"
        )
        expect_error(
            await p.post(f"{url}/scans", json=pick("STAGE", EAN_PLAIN)), 422, "wrong_location"
        )
        await ok(await p.post(f"{url}/scans", json=pick("A1", lot.format("SOON"), qty=3)))
        await ok(await p.post(f"{url}/scans", json=pick("A1", EAN_PLAIN, qty=2)))
        # The third PLAIN at A1 is not there: short, re-allocated to A2 (which has 3 free).
        short_line = next(
            ln for ln in wave["lines"] if ln["order"] == two and ln["location"] == "A1"
        )
        after = await ok(
            await p.post(f"{url}/lines/{short_line['id']}/short", json={"reason": "empty"})
        )
        got = {
            (ln["location"], ln["order"], ln["qty"], ln["status"])
            for ln in after["lines"]
            if ln["sku"] == "PLAIN"
        }
        assert got == {("A1", one, 2, "picked"), ("A1", two, 1, "short"), ("A2", two, 3, "open")}
        await ok(await p.post(f"{url}/scans", json=pick("A2", lot.format("LATE"), qty=2)))
        r = await ok(await p.post(f"{url}/scans", json=pick("A2", EAN_PLAIN, qty=3)))
        assert r["pick_list"]["status"] == "picked"
        for n in (one, two):
            await ok(await p.post(f"/api/sales-orders/{n}/pack", json={"packages": [{}]}))
            shipped = await ok(await p.post(f"/api/sales-orders/{n}/ship", json={"carrier": "SF"}))
            assert shipped["status"] == "shipped"
            await ok(
                await p.post(f"/api/sales-orders/{n}/deliver", json={"signed_by": "Front desk"})
            )

    async with world.server.client("supervisor") as c:
        o = await ok(await c.get(f"/api/sales-orders/{one}"))
        assert (o["status"], o["invoiced"], o["on_time"]) == ("delivered", 60, True)
        rma = await ok(
            await c.post(
                "/api/returns",
                json={"order": one, "lines": [{"sku": "LOTTED", "qty": 2, "reason": "damaged"}]},
            ),
            201,
        )
        for lot_number in ("SOON", "LATE"):
            await ok(
                await c.post(
                    f"/api/returns/{rma['number']}/receive",
                    json={"event_id": _uuid(), "code": EAN_LOT, "lot": lot_number},
                )
            )
            await ok(
                await c.post(
                    f"/api/returns/{rma['number']}/restock",
                    json={
                        "event_id": _uuid(),
                        "code": EAN_LOT,
                        "lot": lot_number,
                        "location": "A1",
                    },
                )
            )
        closed = await ok(await c.post(f"/api/returns/{rma['number']}/close"))
        assert (closed["status"], closed["credit_amount"]) == ("closed", 20)
        book = await stock(c, warehouse="WH1")
        assert book[("A1", "LOTTED", "SOON")] == 1 and book[("A1", "LOTTED", "LATE")] == 1
        assert book[("WH1:CUSTOMER", "PLAIN", None)] == 5
        assert book[("WH1:CUSTOMER", "LOTTED", "SOON")] == 2
        assert book[("WH1:CUSTOMER", "LOTTED", "LATE")] == 1
        assert ("STAGE", "PLAIN", None) not in book  # everything picked left
        # Double entry: every product sums to zero over all locations, virtual included.
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for (_loc, sku, _lot), qty in book.items():
            totals[sku] += Decimal(str(qty))
        assert set(totals.values()) == {Decimal(0)}, totals
        reasons = await ok(await c.get("/api/returns/reasons"))
        assert reasons == [
            {"reason": "damaged", "sku": "LOTTED", "returns": 1, "qty": 2, "received": 2}
        ]


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
