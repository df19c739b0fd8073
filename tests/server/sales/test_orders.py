"""Sales orders end to end: draft -> credit check -> reserved -> picked -> packed -> shipped
(through the ledger, invoiced) -> delivered; credit holds released by a supervisor (audited);
on-time delivery; the delivery note; bad input refused with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error
from tests.server.sales.flows import (
    available,
    confirmed,
    customer,
    ok,
    order,
    pick,
    receive,
    stock,
)

SSCC = "106141411234567897"  # a valid SSCC (GS1 check digit 7)


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


async def pick_all(c: httpx.AsyncClient, numbers: list[str]) -> dict[str, Any]:
    """Generate a pick list for the orders and pick every line as allocated."""
    pl = await ok(await c.post("/api/pick-lists", json={"orders": numbers}), 201)
    for ln in pl["lines"]:
        body = pick(ln["location"], ln["sku"], qty=ln["qty"], lot=ln["lot"])
        await ok(await c.post(f"/api/pick-lists/{pl['number']}/scans", json=body))
    return pl  # type: ignore[no-any-return]


async def test_an_order_from_draft_to_delivered(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await receive(c, EAN_LOT, 6, "A2", lot="L1", expiry=days(90))
        await customer(c)
        o = await order(
            c,
            [("PLAIN", 4, 2.5), ("LOTTED", 3, 10)],
            promised_date=days(3),
            customer_reference="PO-778",
        )
        number = o["number"]
        assert number.startswith("SO-") and o["status"] == "draft"
        assert (o["total"], o["ship_to"]) == (40, "1 Harbour Rd\n200000 Shanghai\nCN")
        expect_error(
            await c.post(f"/api/sales-orders/{number}/ship", json={}), 409, "invalid_state"
        )
        expect_error(
            await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}),
            409,
            "invalid_state",
        )
        o = await ok(await c.patch(f"/api/sales-orders/{number}", json={"note": "ring the bell"}))
        assert o["note"] == "ring the bell"
        o = await ok(await c.post(f"/api/sales-orders/{number}/confirm"))
        assert (o["status"], o["confirmed_at"] is not None) == ("reserved", True)
        expect_error(
            await c.patch(f"/api/sales-orders/{number}", json={"note": "x"}), 409, "invalid_state"
        )
        resolved = await ok(await c.get("/api/codes/resolve", params={"code": number}))
        assert resolved["document"] == {
            "type": "sales_order",
            "number": number,
            "status": "reserved",
        }

        pl = await pick_all(c, [number])
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert o["status"] == "picked"
        # Shipping needs the packages first.
        expect_error(
            await c.post(f"/api/sales-orders/{number}/ship", json={}), 409, "invalid_state"
        )
        expect_error(
            await c.post(
                f"/api/sales-orders/{number}/pack",
                json={"packages": [{"sscc": "106141411234567890"}]},
            ),
            422,
            "invalid_code",
        )
        expect_error(
            await c.post(f"/api/sales-orders/{number}/pack", json={"packages": []}),
            422,
            "validation_error",
        )
        assert (await ok(await c.get(f"/api/sales-orders/{number}")))["packages"] == []
        o = await ok(
            await c.post(
                f"/api/sales-orders/{number}/pack",
                json={"packages": [{"sscc": SSCC, "weight_kg": 12.5}, {}]},
            )
        )
        assert o["status"] == "packed"
        assert o["packages"] == [
            {"no": 1, "sscc": SSCC, "weight_kg": 12.5},
            {"no": 2, "sscc": None, "weight_kg": None},
        ]
        note = await c.get(f"/api/sales-orders/{number}/delivery-note")
        assert note.status_code == 200 and note.headers["content-type"].startswith("text/html")
        assert number in note.text and "<svg" in note.text and "L1 × 3" in note.text

        o = await ok(
            await c.post(
                f"/api/sales-orders/{number}/ship",
                json={"carrier": "SF Express", "tracking_number": "SF123"},
            )
        )
        assert (o["status"], o["invoiced"], o["carrier"]) == ("shipped", 40, "SF Express")
        assert [(ln["sku"], ln["shipped"], ln["reserved"]) for ln in o["lines"]] == [
            ("PLAIN", 4, 0),
            ("LOTTED", 3, 0),
        ]
        book = await stock(c, warehouse="WH1")
        assert ("STAGE", "PLAIN", None) not in book and book[("WH1:CUSTOMER", "PLAIN", None)] == 4
        assert book[("WH1:CUSTOMER", "LOTTED", "L1")] == 3
        shipped = [m for m in await ok(await c.get("/api/moves")) if m["reference"] == number]
        assert [(m["kind"], m["from_location"], m["to_location"], m["qty"]) for m in shipped] == [
            ("pick", "STAGE", "WH1:CUSTOMER", 4),
            ("pick", "STAGE", "WH1:CUSTOMER", 3),
        ]
        # A second ship does nothing more: the order is shipped.
        expect_error(
            await c.post(f"/api/sales-orders/{number}/ship", json={}), 409, "invalid_state"
        )
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["invoiced"], credit["receivables"]) == (40, 40)

        expect_error(
            await c.post(f"/api/sales-orders/{number}/deliver", json={"signed_by": ""}),
            422,
            "validation_error",
        )
        o = await ok(
            await c.post(f"/api/sales-orders/{number}/deliver", json={"signed_by": "Wang Wei"})
        )
        assert (o["status"], o["signed_by"], o["on_time"], o["days_late"]) == (
            "delivered",
            "Wang Wei",
            True,
            0,
        )
        history = await ok(await c.get(f"/api/sales-orders/{number}/history"))
        assert [h["to_status"] for h in history] == [
            "draft",
            "reserved",
            "partially_picked",
            "picked",
            "packed",
            "shipped",
            "delivered",
        ]
        assert history[-1]["user"] == "supervisor" and history[-1]["note"] == "signed by Wang Wei"
        assert pl["number"] in o["pick_lists"]


async def test_credit_hold_on_confirm_and_on_ship_released_by_a_supervisor(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 100, "A1")
        await customer(c, credit_limit=100)
        # Over the limit at once: held, nothing reserved.
        big = (await order(c, [("PLAIN", 30, 5)]))["number"]  # 150
        o = await ok(await c.post(f"/api/sales-orders/{big}/confirm"))
        assert o["status"] == "credit_hold" and o["lines"][0]["reserved"] == 0
        assert (await available(c, "PLAIN"))["reserved"] == 0
        expect_error(await c.post(f"/api/sales-orders/{big}/confirm"), 409, "invalid_state")
        async with world.server.client("picker") as p:
            expect_error(
                await p.post(
                    f"/api/sales-orders/{big}/release-credit", json={"reason": "looks fine"}
                ),
                403,
                "forbidden",
            )
        expect_error(
            await c.post(f"/api/sales-orders/{big}/release-credit", json={}),
            422,
            "validation_error",
        )
        o = await ok(
            await c.post(
                f"/api/sales-orders/{big}/release-credit",
                json={"reason": "prepaid by bank transfer"},
            )
        )
        assert o["status"] == "reserved"
        release = o["credit_releases"][0]
        assert (release["stage"], release["released_by"], release["reason"]) == (
            "confirm",
            "supervisor",
            "prepaid by bank transfer",
        )
        assert (release["credit_limit"], release["exposure"]) == (100, 150)
        assert release["released_at"] is not None

        # Two orders within the limit each; once the first ships (a receivable), the second
        # would take receivables over it: its shipment is refused until paid or released.
        a = await confirmed(c, [("PLAIN", 16, 5)])  # 80
        b = await confirmed(c, [("PLAIN", 10, 5)])  # 50
        await pick_all(c, [a, b])
        for n in (a, b):
            await ok(await c.post(f"/api/sales-orders/{n}/pack", json={"packages": [{}]}))
        await ok(await c.post(f"/api/sales-orders/{a}/ship", json={}))
        before = await stock(c)
        err = expect_error(
            await c.post(f"/api/sales-orders/{b}/ship", json={}), 409, "credit_limit_exceeded"
        )
        assert err["details"] == {"receivables": 80.0, "shipment": 50.0, "credit_limit": 100.0}
        assert await stock(c) == before
        assert (await ok(await c.get(f"/api/sales-orders/{b}")))["status"] == "packed"
        # A payment brings receivables down: 80 - 40 + 50 = 90, within the limit.
        paid = await ok(
            await c.post(
                "/api/customers/ACME/payments", json={"amount": 40, "reference": "BANK-1"}
            ),
            201,
        )
        assert (paid["amount"], paid["recorded_by"]) == (40, "supervisor")
        o = await ok(await c.post(f"/api/sales-orders/{b}/ship", json={}))
        assert o["status"] == "shipped"
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["invoiced"], credit["paid"], credit["receivables"]) == (130, 40, 90)
        assert (credit["available"], credit["over_limit"]) == (10, False)
        assert credit["open_orders"] == 150  # the released big order, still to ship

        # The big one is over at shipping too: a supervisor releases it for shipping.
        await pick_all(c, [big])
        await ok(await c.post(f"/api/sales-orders/{big}/pack", json={"packages": [{}]}))
        expect_error(
            await c.post(f"/api/sales-orders/{big}/ship", json={}), 409, "credit_limit_exceeded"
        )
        o = await ok(
            await c.post(f"/api/sales-orders/{big}/release-credit", json={"reason": "CFO approved"})
        )
        assert [r["stage"] for r in o["credit_releases"]] == ["confirm", "ship"]
        assert o["status"] == "packed"
        assert (await ok(await c.post(f"/api/sales-orders/{big}/ship", json={})))[
            "status"
        ] == "shipped"
        history = await ok(await c.get("/api/customers/ACME/history"))
        releases = [e for e in history["timeline"] if e["kind"] == "credit_release"]
        assert len(releases) == 2 and "CFO approved" in releases[0]["text"]


async def test_on_time_delivery_rate(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await customer(c)
        early = await confirmed(c, [("PLAIN", 1, 1)], promised_date=days(2))
        late = await confirmed(c, [("PLAIN", 1, 1)], promised_date=days(-2))
        overdue = await confirmed(c, [("PLAIN", 1, 1)], promised_date=days(-1))
        await pick_all(c, [early, late])
        for n in (early, late):
            await ok(await c.post(f"/api/sales-orders/{n}/pack", json={"packages": [{}]}))
            await ok(await c.post(f"/api/sales-orders/{n}/ship", json={}))
            await ok(await c.post(f"/api/sales-orders/{n}/deliver", json={"signed_by": "x"}))
        got = await ok(await c.get("/api/sales-orders/on-time", params={"warehouse": "WH1"}))
        assert (got["basis"], got["orders"], got["on_time"], got["late"], got["rate"]) == (
            "delivered",
            2,
            1,
            1,
            0.5,
        )
        assert {d["number"]: (d["on_time"], d["days_late"]) for d in got["details"]} == {
            early: (True, 0),
            late: (False, 2),
        }
        o = await ok(await c.get(f"/api/sales-orders/{overdue}"))
        assert (o["on_time"], o["days_late"]) == (False, 1)  # not out yet, already late
        since = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        got = await ok(await c.get("/api/sales-orders/on-time", params={"since": since}))
        assert (got["orders"], got["rate"]) == (0, None)
        shipped = await ok(await c.get("/api/sales-orders/on-time", params={"basis": "shipped"}))
        assert shipped["orders"] == 2
        expect_error(
            await c.get("/api/sales-orders/on-time", params={"basis": "signed"}),
            422,
            "validation_error",
        )


async def test_bad_input_is_refused_and_nothing_is_written(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await customer(c)
        cases: list[tuple[dict[str, Any], int, str]] = [
            (
                {"customer": "ACME", "warehouse": "WH1", "lines": [{"sku": "NOPE", "qty": 1}]},
                404,
                "not_found",
            ),
            (
                {"customer": "ACME", "warehouse": "WH1", "lines": [{"sku": "PLAIN", "qty": 0}]},
                422,
                "validation_error",
            ),
            (
                {"customer": "ACME", "warehouse": "WH1", "lines": [{"sku": "PLAIN", "qty": -2}]},
                422,
                "validation_error",
            ),
            (
                {
                    "customer": "ACME",
                    "warehouse": "WH1",
                    "lines": [{"sku": "PLAIN", "qty": 1.0001}],
                },
                422,
                "validation_error",
            ),
            ({"customer": "ACME", "warehouse": "WH1", "lines": []}, 422, "validation_error"),
            (
                {
                    "customer": "ACME",
                    "warehouse": "WH1",
                    "lines": [{"sku": "PLAIN", "qty": 1}, {"sku": "PLAIN", "qty": 2}],
                },
                422,
                "validation_error",
            ),
            (
                {"customer": "NOBODY", "warehouse": "WH1", "lines": [{"sku": "PLAIN", "qty": 1}]},
                404,
                "not_found",
            ),
            (
                {"customer": "ACME", "warehouse": "WH9", "lines": [{"sku": "PLAIN", "qty": 1}]},
                404,
                "not_found",
            ),
            (
                {
                    "customer": "ACME",
                    "warehouse": "WH1",
                    "lines": [{"sku": "PLAIN", "qty": 1, "unit_price": -1}],
                },
                422,
                "validation_error",
            ),
        ]
        for body, status, code in cases:
            expect_error(await c.post("/api/sales-orders", json=body), status, code)
        assert await ok(await c.get("/api/sales-orders")) == []
        async with world.server.client("picker") as p:
            expect_error(
                await p.post(
                    "/api/sales-orders", json=cases[0][0] | {"lines": [{"sku": "PLAIN", "qty": 1}]}
                ),
                403,
                "forbidden",
            )
        assert await ok(await c.get("/api/sales-orders")) == []
        expect_error(await c.get("/api/sales-orders/SO-999999"), 404, "not_found")
        expect_error(await c.post("/api/sales-orders/SO-999999/confirm"), 404, "not_found")
        expect_error(
            await c.get("/api/sales-orders", params={"status": "lost"}), 422, "validation_error"
        )

        # An archived product can neither be confirmed nor written onto an order.
        number = (await order(c, [("PLAIN", 1, 1)]))["number"]
        await ok(await c.patch("/api/products/PLAIN", json={"active": False}))
        expect_error(await c.post(f"/api/sales-orders/{number}/confirm"), 422, "product_inactive")
        assert (await ok(await c.get(f"/api/sales-orders/{number}")))["status"] == "draft"
        expect_error(
            await c.patch(
                f"/api/sales-orders/{number}", json={"lines": [{"sku": "PLAIN", "qty": 2}]}
            ),
            422,
            "product_inactive",
        )
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert (o["lines"][0]["qty"], o["total"]) == (1, 1)
        # A shipped order is not cancelled; a cancelled one not confirmed.
        await ok(await c.patch("/api/products/PLAIN", json={"active": True}))
        await ok(await c.post(f"/api/sales-orders/{number}/cancel", json={}))
        expect_error(await c.post(f"/api/sales-orders/{number}/confirm"), 409, "invalid_state")
        expect_error(
            await c.post(f"/api/sales-orders/{number}/cancel", json={}), 409, "invalid_state"
        )
        expect_error(await c.get(f"/api/sales-orders/{number}/delivery-note"), 409, "invalid_state")


async def test_a_warehouse_bound_user_sees_only_its_orders(world: World) -> None:
    from tests.conftest import user_token

    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = (await order(c, [("PLAIN", 1, 1)]))["number"]
    token = await user_token(world.server, "wh2-boss", "supervisor", "WH2")
    async with world.server.client(token) as other:
        expect_error(await other.get(f"/api/sales-orders/{number}"), 404, "not_found")
        expect_error(await other.post(f"/api/sales-orders/{number}/confirm"), 404, "not_found")
        assert await ok(await other.get("/api/sales-orders")) == []
        body = {"customer": "ACME", "warehouse": "WH1", "lines": [{"sku": "PLAIN", "qty": 1}]}
        expect_error(await other.post("/api/sales-orders", json=body), 403, "forbidden")


async def test_a_pick_that_raced_a_short_report_is_never_shipped_or_invoiced(world: World) -> None:
    """A pick of a line already reported short (in flight while the report was made) lands
    after the rest was re-allocated: the order is picked beyond its quantity. Shipping takes
    only what was ordered; the extra stays in staging, said so in the history."""
    from sqlalchemy import insert

    from server.db import Database
    from server.models import PostingCap
    from tests.conftest import scan

    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 1}))
        await receive(c, EAN_PLAIN, 2, "A1")
        await receive(c, EAN_PLAIN, 5, "A2")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 2, 10)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        first = pl["lines"][0]
        assert (first["location"], first["qty"]) == ("A1", 2)
        url = f"/api/pick-lists/{pl['number']}"
        after = await ok(await c.post(f"{url}/lines/{first['id']}/short", json={}))
        assert [(ln["location"], ln["qty"]) for ln in after["lines"]] == [("A1", 2), ("A2", 2)]
        # The late pick of the short line: the writer's half (cap usage + the move).
        db = Database(world.server.settings.database_url)
        try:
            async with db.session(write=True) as session:
                await session.execute(
                    insert(PostingCap).values(
                        key=f"{pl['number']}:{first['id']}", used=1, updated_seq=0
                    )
                )
        finally:
            await db.dispose()
        body = scan(type="transfer", code=EAN_PLAIN, qty=1, location="A1", to_location="STAGE")
        assert (await ok(await c.post("/api/scans", json=body)))["status"] == "applied"
        await ok(await c.post(f"{url}/scans", json=pick("A2", EAN_PLAIN, qty=2)))
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert (o["status"], o["lines"][0]["picked"]) == ("picked", 3)
        await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        o = await ok(await c.post(f"/api/sales-orders/{number}/ship", json={}))
        assert (o["lines"][0]["shipped"], o["invoiced"]) == (2, 20)
        book = await stock(c)
        assert book[("WH1:CUSTOMER", "PLAIN", None)] == 2 and book[("STAGE", "PLAIN", None)] == 1
        history = await ok(await c.get(f"/api/sales-orders/{number}/history"))
        assert "1 picked beyond the order stay in staging" in history[-1]["note"]
