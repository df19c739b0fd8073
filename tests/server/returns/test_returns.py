"""Returns (RMA): against a shipped order, with reasons; received by scan into the returns
location, then restocked or scrapped through the ledger; credited to the customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error
from tests.server.sales.flows import available, confirmed, customer, ok, receive, stock
from tests.server.sales.test_orders import pick_all


def item(code: str, **kw: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "code": code, **kw}


async def test_return_receive_restock_scrap_and_credit(world: World) -> None:
    expiry = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await receive(c, EAN_LOT, 5, "A2", lot="L7", expiry=expiry)
        await customer(c)
        number = await confirmed(c, [("PLAIN", 6, 10), ("LOTTED", 2, 20)])
        expect_error(
            await c.post(
                "/api/returns",
                json={"order": number, "lines": [{"sku": "PLAIN", "qty": 1, "reason": "damaged"}]},
            ),
            409,
            "invalid_state",
        )  # not shipped yet
        await pick_all(c, [number])
        await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        await ok(await c.post(f"/api/sales-orders/{number}/ship", json={}))

        for body, status, code in (
            (
                {"order": number, "lines": [{"sku": "PLAIN", "qty": 7, "reason": "damaged"}]},
                409,
                "over_return",
            ),
            (
                {"order": number, "lines": [{"sku": "SERIAL", "qty": 1, "reason": "damaged"}]},
                422,
                "wrong_item",
            ),
            (
                {"order": number, "lines": [{"sku": "PLAIN", "qty": 1, "reason": "bored"}]},
                422,
                "validation_error",
            ),
            ({"order": number, "lines": []}, 422, "validation_error"),
            (
                {"order": "SO-999999", "lines": [{"sku": "PLAIN", "qty": 1, "reason": "other"}]},
                404,
                "not_found",
            ),
        ):
            expect_error(await c.post("/api/returns", json=body), status, code)
        assert await ok(await c.get("/api/returns")) == []

        rma = await ok(
            await c.post(
                "/api/returns",
                json={
                    "order": number,
                    "note": "courier dropped a box",
                    "lines": [
                        {"sku": "PLAIN", "qty": 4, "reason": "damaged"},
                        {"sku": "LOTTED", "qty": 1, "reason": "changed_mind"},
                    ],
                },
            ),
            201,
        )
        rn = rma["number"]
        assert rn.startswith("RMA-") and rma["status"] == "authorized"
        assert rma["returns_location"] == "WH1:RETURNS"
        # Only 2 PLAIN may still come back on another return.
        expect_error(
            await c.post(
                "/api/returns",
                json={"order": number, "lines": [{"sku": "PLAIN", "qty": 3, "reason": "other"}]},
            ),
            409,
            "over_return",
        )
        expect_error(
            await c.post(f"/api/returns/{rn}/restock", json=item(EAN_PLAIN, location="A1")),
            409,
            "invalid_state",
        )  # nothing received yet

    async with world.server.client("receiver") as r:
        before = await stock(r)
        expect_error(
            await r.post(f"/api/returns/{rn}/receive", json=item(EAN_PLAIN, qty=5)),
            409,
            "over_return",
        )
        expect_error(
            await r.post(f"/api/returns/{rn}/receive", json=item(f"(01)0{EAN_LOT}(10)OTHER")),
            422,
            "wrong_lot",
        )
        expect_error(
            await r.post(f"/api/returns/{rn}/receive", json=item("INT-PLAIN", location="A1")),
            422,
            "invalid_location",
        )
        assert await stock(r) == before
        got = await ok(await r.post(f"/api/returns/{rn}/receive", json=item(EAN_PLAIN, qty=4)))
        assert (got["status"], got["location"], got["on_hand"]) == ("applied", "WH1:RETURNS", 4)
        scanned = item(EAN_LOT)  # the only lot the order shipped
        got = await ok(await r.post(f"/api/returns/{rn}/receive", json=scanned))
        assert got["lot"] == "L7"
        replay = await ok(await r.post(f"/api/returns/{rn}/receive", json=scanned))
        assert replay["status"] == "duplicate"
        expect_error(
            await r.post(f"/api/returns/{rn}/receive", json=item(EAN_PLAIN)), 409, "over_return"
        )

    async with world.server.client("supervisor") as c:
        rma = await ok(await c.get(f"/api/returns/{rn}"))
        assert rma["status"] == "received" and rma["credit_amount"] == 60  # 4 x 10 + 1 x 20
        book = await stock(c)
        assert (
            book[("WH1:RETURNS", "PLAIN", None)] == 4 and book[("WH1:RETURNS", "LOTTED", "L7")] == 1
        )
        assert (await available(c, "PLAIN"))["on_hand"] == 4  # returns are not sellable
        expect_error(await c.post(f"/api/returns/{rn}/close"), 409, "invalid_state")  # waiting

        expect_error(
            await c.post(f"/api/returns/{rn}/restock", json=item(EAN_PLAIN, qty=5, location="A1")),
            409,
            "over_return",
        )
        expect_error(
            await c.post(f"/api/returns/{rn}/restock", json=item(EAN_PLAIN, location="STAGE")),
            422,
            "invalid_location",
        )
        await ok(
            await c.post(f"/api/returns/{rn}/restock", json=item(EAN_PLAIN, qty=3, location="A1"))
        )
        await ok(await c.post(f"/api/returns/{rn}/scrap", json=item(EAN_PLAIN)))
        await ok(await c.post(f"/api/returns/{rn}/restock", json=item(EAN_LOT, location="A2")))
        rma = await ok(await c.get(f"/api/returns/{rn}"))
        assert [
            (ln["sku"], ln["received"], ln["restocked"], ln["scrapped"], ln["waiting"])
            for ln in rma["lines"]
        ] == [
            ("PLAIN", 4, 3, 1, 0),
            ("LOTTED", 1, 1, 0, 0),
        ]
        closed = await ok(await c.post(f"/api/returns/{rn}/close"))
        assert closed["status"] == "closed"
        moves = [m for m in await ok(await c.get("/api/moves")) if m["reference"] == rn]
        assert [
            (m["kind"], m["from_location"], m["to_location"], m["sku"], m["qty"]) for m in moves
        ] == [
            ("receive", "WH1:CUSTOMER", "WH1:RETURNS", "PLAIN", 4),
            ("receive", "WH1:CUSTOMER", "WH1:RETURNS", "LOTTED", 1),
            ("transfer", "WH1:RETURNS", "A1", "PLAIN", 3),
            ("adjust", "WH1:RETURNS", "WH1:SCRAP", "PLAIN", 1),
            ("transfer", "WH1:RETURNS", "A2", "LOTTED", 1),
        ]
        assert (await available(c, "PLAIN"))["on_hand"] == 7
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert [(ln["sku"], ln["returned"]) for ln in o["lines"]] == [("PLAIN", 4), ("LOTTED", 1)]
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["invoiced"], credit["credited"], credit["receivables"]) == (100, 60, 40)

        reasons = await ok(await c.get("/api/returns/reasons", params={"warehouse": "WH1"}))
        assert reasons == [
            {"reason": "damaged", "sku": "PLAIN", "returns": 1, "qty": 4, "received": 4},
            {"reason": "changed_mind", "sku": "LOTTED", "returns": 1, "qty": 1, "received": 1},
        ]
        resolved = await ok(await c.get("/api/codes/resolve", params={"code": rn}))
        assert resolved["document"] == {"type": "return", "number": rn, "status": "closed"}
    async with world.server.client("picker") as p:
        expect_error(
            await p.post(f"/api/returns/{rn}/scrap", json=item(EAN_PLAIN)), 403, "forbidden"
        )
