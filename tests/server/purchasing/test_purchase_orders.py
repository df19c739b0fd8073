"""Purchase orders: drafting with the price list, the life cycle, the qualification block
and its audited override, the ASN's pallets, the PO's barcode resolving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import EAN_PLAIN, World, expect_error, user_token
from tests.server.inbound import make_po, make_supplier, ok, open_receipt, receive

TODAY = datetime.now(UTC).date()


async def test_drafting_confirming_and_the_life_cycle(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await make_supplier(c, currency="USD")
        for price, min_qty in ((3, 1), (2.5, 50)):
            body = {"sku": "PLAIN", "unit_price": price, "min_qty": min_qty}
            await ok(await c.put("/api/suppliers/ACME/prices", json=body))
        po = await make_po(
            c,
            [
                {"sku": "PLAIN", "qty": 60},  # the price list's break for 60: 2.5
                {"sku": "LOTTED", "qty": 4, "unit_price": 1.25, "expected_date": "2030-01-05"},
            ],
            confirm=False,
            expected_date="2030-01-01",
            note="dock 2 please",
        )
        number = po["number"]
        assert number.startswith("PO-") and po["status"] == "draft" and po["currency"] == "USD"
        assert [
            (ln["sku"], ln["unit_price"], ln["amount"], ln["expected_date"]) for ln in po["lines"]
        ] == [
            ("PLAIN", 2.5, 150, "2030-01-01"),
            ("LOTTED", 1.25, 5, "2030-01-05"),
        ]
        assert po["total"] == 155
        before = await ok(await c.get(f"/api/purchase-orders/{number}"))
        for lines, status, code in (
            ([{"sku": "LOTTED", "qty": 1}], 422, "validation_error"),  # no price for it
            ([{"sku": "PLAIN", "qty": 1}, {"sku": "PLAIN", "qty": 2}], 422, "validation_error"),
            ([{"sku": "NOPE", "qty": 1, "unit_price": 1}], 404, "not_found"),
            ([{"sku": "PLAIN", "qty": 0, "unit_price": 1}], 422, "validation_error"),
            ([{"sku": "PLAIN", "qty": -3, "unit_price": 1}], 422, "validation_error"),
        ):
            expect_error(
                await c.patch(f"/api/purchase-orders/{number}", json={"lines": lines}), status, code
            )
        assert await ok(await c.get(f"/api/purchase-orders/{number}")) == before
        patched = await ok(
            await c.patch(
                f"/api/purchase-orders/{number}",
                json={"lines": [{"sku": "PLAIN", "qty": 10}], "note": None},
            )
        )
        assert (patched["total"], patched["note"], len(patched["lines"])) == (30, None, 1)
        confirmed = await ok(await c.post(f"/api/purchase-orders/{number}/confirm"))
        assert (confirmed["status"], confirmed["warnings"]) == ("confirmed", [])
        assert confirmed["confirmed_at"] is not None
        expect_error(
            await c.patch(f"/api/purchase-orders/{number}", json={"note": "x"}),
            409,
            "invalid_state",
        )
        expect_error(await c.post(f"/api/purchase-orders/{number}/confirm"), 409, "invalid_state")
        cancelled = await ok(await c.post(f"/api/purchase-orders/{number}/cancel"))
        assert cancelled["status"] == "cancelled"
        expect_error(await c.post(f"/api/purchase-orders/{number}/cancel"), 409, "invalid_state")
        expect_error(await c.post(f"/api/purchase-orders/{number}/close"), 409, "invalid_state")

        empty = await make_po(c, [], confirm=False)
        expect_error(
            await c.post(f"/api/purchase-orders/{empty['number']}/confirm"), 409, "invalid_state"
        )
        # Received something: not cancelled but closed, short.
        other = (await make_po(c, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}]))["number"]
        async with world.server.client("receiver") as rc:
            rcv = (await open_receipt(rc, po=other))["number"]
            await ok(await receive(rc, rcv, code=EAN_PLAIN, qty=2))
            await ok(await rc.post(f"/api/receipts/{rcv}/close"))
        expect_error(await c.post(f"/api/purchase-orders/{other}/cancel"), 409, "invalid_state")
        closed = await ok(await c.post(f"/api/purchase-orders/{other}/close"))
        assert (closed["status"], closed["lines"][0]["received"], closed["lines"][0]["state"]) == (
            "closed",
            2,
            "partial",
        )
        listed = await ok(await c.get("/api/purchase-orders", params={"status": "closed"}))
        assert [p["number"] for p in listed] == [other]
        expect_error(
            await c.get("/api/purchase-orders", params={"status": "nope"}), 422, "validation_error"
        )
    async with world.server.client("receiver") as rc:
        expect_error(
            await rc.post("/api/purchase-orders", json={"supplier": "ACME", "warehouse": "WH1"}),
            403,
            "forbidden",
        )
    # A user of WH2 does not see WH1's orders.
    token = await user_token(world.server, "wh2-boss", "supervisor", "WH2")
    async with world.server.client(token) as wc:
        assert await ok(await wc.get("/api/purchase-orders")) == []
        expect_error(await wc.get(f"/api/purchase-orders/{other}"), 404, "not_found")


async def test_an_expired_qualification_blocks_confirmation_unless_overridden(world: World) -> None:
    expired = (TODAY - timedelta(days=1)).isoformat()
    async with world.server.client("supervisor") as c:
        await make_supplier(c, qualifications=[{"kind": "business licence", "expires_on": expired}])
        po = await make_po(c, [{"sku": "PLAIN", "qty": 2, "unit_price": 1}], confirm=False)
        number = po["number"]
        err = expect_error(
            await c.post(f"/api/purchase-orders/{number}/confirm"), 409, "qualification_expired"
        )
        assert "business licence" in err["message"]
        assert (await ok(await c.get(f"/api/purchase-orders/{number}")))["status"] == "draft"
        expect_error(
            await c.post(f"/api/purchase-orders/{number}/confirm", json={"override_reason": "x"}),
            422,
            "validation_error",
        )
        done = await ok(
            await c.post(
                f"/api/purchase-orders/{number}/confirm",
                json={"override_reason": "renewal filed; sole source of this item"},
            )
        )
        assert done["status"] == "confirmed"
        override = done["qualification_override"]
        assert (override["by"], override["reason"]) == (
            "supervisor",
            "renewal filed; sole source of this item",
        )
        assert override["at"] is not None
        shown = await ok(await c.get(f"/api/purchase-orders/{number}"))
        assert shown["qualification_override"] == override
        page = (await c.get(f"/api/purchase-orders/{number}/print")).text
        assert "Qualification override by supervisor" in page
        # A qualified supplier's PO needs no override and records none.
        await make_supplier(c, "GOOD")
        fine = await make_po(c, [{"sku": "PLAIN", "qty": 2, "unit_price": 1}], supplier="GOOD")
        assert fine["qualification_override"] is None


async def test_the_po_barcode_and_asn_pallets_open_receipts(world: World) -> None:
    sscc = "340123450000000017"
    async with world.server.client("supervisor") as c:
        await make_supplier(c)
        number = (await make_po(c, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}]))["number"]
        found = await ok(await c.get("/api/codes/resolve", params={"code": number}))
        assert (found["kind"], found["document"]["type"], found["document"]["status"]) == (
            "document",
            "purchase_order",
            "confirmed",
        )
        for bad in ("340123450000000011", "12345"):
            expect_error(
                await c.post(f"/api/purchase-orders/{number}/ssccs", json={"ssccs": [bad]}),
                422,
                "invalid_code",
            )
        po = await ok(await c.post(f"/api/purchase-orders/{number}/ssccs", json={"ssccs": [sscc]}))
        assert po["ssccs"] == [sscc]
        expect_error(
            await c.post(f"/api/purchase-orders/{number}/ssccs", json={"ssccs": [sscc]}),
            409,
            "already_exists",
        )
    async with world.server.client("receiver") as rc:
        receipt = await open_receipt(rc, code=f"]C100{sscc}")
        assert (receipt["po"], receipt["opened_with"]) == (number, f"]C100{sscc}")
        found = await ok(await rc.get("/api/codes/resolve", params={"code": receipt["number"]}))
        assert (found["kind"], found["document"]["type"]) == ("document", "receipt")
        expect_error(
            await rc.post(
                "/api/receipts", json={"dock": "DOCK", "code": "]C100340123450000000024"}
            ),
            404,
            "not_found",
        )
