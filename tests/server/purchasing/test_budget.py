"""Monthly purchasing budgets: confirming beyond the budget warns, beyond its hard limit
(110% by default) is refused and changes nothing; per-category budgets count only their
category's lines; a cancelled PO gives its amount back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.conftest import World, expect_error
from tests.server.inbound import make_po, make_supplier, ok

MONTH = datetime.now(UTC).strftime("%Y-%m")


async def test_budget_warns_then_blocks(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await make_supplier(c)
        budget = await ok(
            await c.put("/api/budgets", json={"warehouse": "WH1", "month": MONTH, "amount": 1000})
        )
        assert (budget["committed"], budget["remaining"], budget["hard_limit"]) == (0, 1000, 1100)

        first = await make_po(c, [{"sku": "PLAIN", "qty": 900, "unit_price": 1}])
        assert first["warnings"] == [] and first["budget_warning"] is None
        second = await make_po(c, [{"sku": "PLAIN", "qty": 150, "unit_price": 1}])
        assert second["status"] == "confirmed"
        assert len(second["warnings"]) == 1 and "Over budget" in second["warnings"][0]
        assert "1050" in second["warnings"][0]
        kept = await ok(await c.get(f"/api/purchase-orders/{second['number']}"))
        assert kept["budget_warning"] == second["warnings"][0] and kept["warnings"] == []

        third = await make_po(c, [{"sku": "PLAIN", "qty": 60, "unit_price": 1}], confirm=False)
        err = expect_error(
            await c.post(f"/api/purchase-orders/{third['number']}/confirm"), 409, "budget_exceeded"
        )
        assert err["details"]["hard_limit"] == 1100 and err["details"]["committed"] == 1050
        assert (await ok(await c.get(f"/api/purchase-orders/{third['number']}")))[
            "status"
        ] == "draft"
        [b] = await ok(await c.get("/api/budgets", params={"warehouse": "WH1", "month": MONTH}))
        assert (b["committed"], b["remaining"], b["used"]) == (1050, -50, 1.05)

        # Cancelling the second gives its 150 back: the third now fits.
        await ok(await c.post(f"/api/purchase-orders/{second['number']}/cancel"))
        third = await ok(await c.post(f"/api/purchase-orders/{third['number']}/confirm"))
        assert (third["status"], third["warnings"]) == ("confirmed", [])

        for body, status, code in (
            ({"warehouse": "WH1", "month": "2026-13", "amount": 1}, 422, "validation_error"),
            ({"warehouse": "WH1", "month": MONTH, "amount": -1}, 422, "validation_error"),
            ({"warehouse": "NOPE", "month": MONTH, "amount": 1}, 404, "not_found"),
        ):
            expect_error(await c.put("/api/budgets", json=body), status, code)
    async with world.server.client("receiver") as rc:
        expect_error(
            await rc.put("/api/budgets", json={"warehouse": "WH1", "month": MONTH, "amount": 9}),
            403,
            "forbidden",
        )


async def test_a_category_budget_counts_only_its_category(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await make_supplier(c)
        await ok(await c.patch("/api/products/LOTTED", json={"category": "food"}))
        await ok(
            await c.put(
                "/api/budgets",
                json={"warehouse": "WH2", "month": MONTH, "category": "food", "amount": 100},
            )
        )
        lines = [
            {"sku": "LOTTED", "qty": 105, "unit_price": 1},
            {"sku": "PLAIN", "qty": 5000, "unit_price": 1},  # not food: not counted
        ]
        po = await make_po(c, lines, warehouse="WH2")
        assert len(po["warnings"]) == 1 and "WH2 " + MONTH + " food" in po["warnings"][0]
        plain_only = await make_po(
            c, [{"sku": "PLAIN", "qty": 9, "unit_price": 1}], warehouse="WH2"
        )
        assert plain_only["warnings"] == []
        more = await make_po(
            c, [{"sku": "LOTTED", "qty": 10, "unit_price": 1}], warehouse="WH2", confirm=False
        )
        expect_error(
            await c.post(f"/api/purchase-orders/{more['number']}/confirm"), 409, "budget_exceeded"
        )
        [b] = await ok(await c.get("/api/budgets", params={"warehouse": "WH2"}))
        assert (b["category"], b["committed"]) == ("food", 105)


async def test_two_confirmations_at_once_cannot_both_take_the_last_of_the_budget(
    world: World,
) -> None:
    async with world.server.client("supervisor") as c, world.server.client("admin") as ac:
        await make_supplier(c)
        await ok(
            await c.put("/api/budgets", json={"warehouse": "WH1", "month": MONTH, "amount": 1000})
        )
        numbers = [
            (await make_po(c, [{"sku": "PLAIN", "qty": 600, "unit_price": 1}], confirm=False))[
                "number"
            ]
            for _ in range(2)
        ]
        answers = await asyncio.gather(
            c.post(f"/api/purchase-orders/{numbers[0]}/confirm"),
            ac.post(f"/api/purchase-orders/{numbers[1]}/confirm"),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        [b] = await ok(await c.get("/api/budgets"))
        assert b["committed"] == 600
