"""Customers: the record with contacts and addresses, notes and feedback, payments, credit
figures, and the purchase history."""

from __future__ import annotations

from tests.conftest import EAN_PLAIN, World, expect_error
from tests.server.sales.flows import confirmed, customer, ok, order, pick, receive


async def test_a_customer_record(world: World) -> None:
    async with world.server.client("supervisor") as c:
        created = await customer(
            c,
            "ACME",
            credit_limit=5000,
            price_level="wholesale",
            email="buy@acme.example",
            contacts=[{"name": "Li Na", "role": "buyer", "phone": "+86 21 5555"}],
        )
        assert (created["code"], created["price_level"], created["credit_limit"]) == (
            "ACME",
            "wholesale",
            5000,
        )
        assert created["contacts"][0]["name"] == "Li Na"
        assert created["addresses"][0]["is_default"] is True
        assert created["credit"] == {
            "credit_limit": 5000,
            "invoiced": 0,
            "paid": 0,
            "credited": 0,
            "receivables": 0,
            "open_orders": 0,
            "exposure": 0,
            "available": 5000,
            "over_limit": False,
        }
        expect_error(
            await c.post("/api/customers", json={"code": "ACME", "name": "x"}),
            409,
            "already_exists",
        )
        for body in (
            {"code": "bad code", "name": "x"},
            {"code": "X1", "name": ""},
            {"code": "X1", "name": "x", "credit_limit": -1},
            {"code": "X1", "name": "x", "payment_terms_days": 400},
            {"code": "X1", "name": "x", "unknown": 1},
        ):
            expect_error(await c.post("/api/customers", json=body), 422, "validation_error")
        assert [x["code"] for x in await ok(await c.get("/api/customers"))] == ["ACME"]

        # A second address made the default moves the default.
        after = await ok(
            await c.post(
                "/api/customers/ACME/addresses",
                json={
                    "label": "warehouse",
                    "line1": "9 Dock St",
                    "city": "Ningbo",
                    "is_default": True,
                },
            ),
            201,
        )
        assert [(a["label"], a["is_default"]) for a in after["addresses"]] == [
            ("main", False),
            ("warehouse", True),
        ]
        o = await order(c, [("PLAIN", 1, 1)])
        assert o["ship_to"] == "9 Dock St\nNingbo\nCN"
        contact = after["contacts"][0]["id"]
        after = await ok(await c.delete(f"/api/customers/ACME/contacts/{contact}"))
        assert after["contacts"] == []
        expect_error(await c.delete(f"/api/customers/ACME/contacts/{contact}"), 404, "not_found")

        changed = await ok(
            await c.patch("/api/customers/ACME", json={"credit_limit": None, "name": "ACME Ltd"})
        )
        assert (changed["credit_limit"], changed["name"]) == (None, "ACME Ltd")
        expect_error(
            await c.patch("/api/customers/ACME", json={"name": None}), 422, "validation_error"
        )

        note = await ok(
            await c.post("/api/customers/ACME/notes", json={"text": "Prefers mornings"}), 201
        )
        feedback = await ok(
            await c.post(
                "/api/customers/ACME/notes", json={"kind": "feedback", "text": "Box arrived dented"}
            ),
            201,
        )
        assert (note["kind"], note["author"], feedback["kind"]) == (
            "note",
            "supervisor",
            "feedback",
        )
        notes = await ok(await c.get("/api/customers/ACME/notes"))
        assert [n["text"] for n in notes] == ["Box arrived dented", "Prefers mornings"]
        expect_error(
            await c.post("/api/customers/ACME/notes", json={"kind": "rant", "text": "x"}),
            422,
            "validation_error",
        )
        expect_error(await c.get("/api/customers/NOBODY"), 404, "not_found")
    async with world.server.client("picker") as p:
        expect_error(
            await p.post("/api/customers", json={"code": "P1", "name": "x"}), 403, "forbidden"
        )
        expect_error(
            await p.post("/api/customers/ACME/payments", json={"amount": 5}), 403, "forbidden"
        )
        assert (await ok(await p.get("/api/customers/ACME")))["name"] == "ACME Ltd"


async def test_payments_and_purchase_history(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 20, "A1")
        await customer(c, "ACME", credit_limit=1000)
        a = await confirmed(c, [("PLAIN", 2, 50)])
        b = await confirmed(c, [("PLAIN", 3, 50)])
        draft = (await order(c, [("PLAIN", 9, 1)]))["number"]  # not a purchase yet
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [a]}), 201)
        await ok(
            await c.post(f"/api/pick-lists/{pl['number']}/scans", json=pick("A1", EAN_PLAIN, qty=2))
        )
        await ok(await c.post(f"/api/sales-orders/{a}/pack", json={"packages": [{}]}))
        await ok(await c.post(f"/api/sales-orders/{a}/ship", json={}))

        for bad in ({"amount": 0}, {"amount": -5}, {"amount": "x"}, {}):
            expect_error(
                await c.post("/api/customers/ACME/payments", json=bad), 422, "validation_error"
            )
        assert await ok(await c.get("/api/customers/ACME/payments")) == []
        await ok(
            await c.post("/api/customers/ACME/payments", json={"amount": 30.5, "reference": "R1"}),
            201,
        )
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["invoiced"], credit["paid"], credit["receivables"]) == (100, 30.5, 69.5)
        assert (credit["open_orders"], credit["exposure"], credit["available"]) == (
            150,
            219.5,
            930.5,
        )

        history = await ok(await c.get("/api/customers/ACME/history"))
        summary = history["summary"]
        assert (summary["orders"], summary["total_ordered"], summary["total_invoiced"]) == (
            2,
            250,
            100,
        )
        assert (
            summary["last_order_at"] is not None and summary["avg_days_between_orders"] is not None
        )
        assert summary["orders_per_month"] == 2.0
        assert [o["number"] for o in history["orders"]] == [draft, b, a]
        first = history["orders"][-1]
        assert (first["status"], first["invoiced"]) == ("shipped", 100)
        assert first["lines"] == [
            {
                "sku": "PLAIN",
                "name": "Plain",
                "qty": 2,
                "unit_price": 50,
                "amount": 100,
                "shipped": 2,
                "returned": 0,
            }
        ]
        assert history["products"] == [
            {"sku": "PLAIN", "name": "Plain", "orders": 2, "qty": 5, "amount": 250}
        ]
        kinds = [e["kind"] for e in history["timeline"]]
        assert kinds.count("payment") == 1 and "order" in kinds and "order_status" in kinds
        shipped = [
            e for e in history["timeline"] if e["kind"] == "order_status" and "shipped" in e["text"]
        ]
        assert shipped and shipped[0]["reference"] == a
