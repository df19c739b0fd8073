"""Receiving policies set in the settings: over-receipt and unexpected items flagged instead
of refused, short-dated lots refused; a receipt without a PO; a product's own minimum shelf
life; an empty bin suggested for a product stored nowhere yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from server.settings import Settings
from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error
from tests.server.inbound import gs1, make_po, make_supplier, ok, on_hand, open_receipt, receive

TODAY = datetime.now(UTC).date()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "over_receipt_policy": "warn",
            "over_receipt_tolerance": Decimal("0.10"),
            "unexpected_item_policy": "warn",
            "short_dated_policy": "reject",
            "min_shelf_life_days": 30,
        }
    )


async def test_warn_policies_flag_and_short_dated_lots_are_refused(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        await make_supplier(sc)
        po = (await make_po(sc, [{"sku": "PLAIN", "qty": 10, "unit_price": 1}]))["number"]
        number = (await open_receipt(c, code=po))["number"]
        over = await ok(await receive(c, number, code=EAN_PLAIN, qty=12))  # beyond 10 x 1.1
        assert over["flags"] == ["over_receipt"]
        assert "within the tolerance" not in over["warnings"][0]
        extra = await ok(await receive(c, number, code=EAN_SERIAL, lot="SN-9"))
        assert extra["flags"] == ["unexpected"] and "not on" in extra["warnings"][0]
        short = gs1(EAN_LOT, lot="S1", expiry=TODAY + timedelta(days=29), qty=3)
        err = expect_error(await receive(c, number, code=short), 409, "short_dated")
        assert "29 days" in err["message"]
        ok_lot = gs1(EAN_LOT, lot="S2", expiry=TODAY + timedelta(days=30), qty=3)
        assert (await ok(await receive(c, number, code=ok_lot)))["flags"] == ["unexpected"]
        view = await ok(await c.post(f"/api/receipts/{number}/close"))
        plain = view["order_lines"][0]
        assert (plain["received"], plain["state"], plain["over_tolerance"]) == (12, "over", True)
        flags = {(ln["sku"], ln["lot"]): ln["flags"] for ln in view["lines"]}
        assert flags == {
            ("LOTTED", "S2"): ["unexpected"],
            ("PLAIN", None): ["over_receipt"],
            ("SERIAL", "SN-9"): ["unexpected"],
        }
        assert (await ok(await sc.get(f"/api/purchase-orders/{po}")))["status"] == "received"
        assert ("DOCK", "LOTTED", "S1") not in await on_hand(c)

        # A product's own minimum (5 days) overrides the setting's 30.
        await ok(await sc.patch("/api/products/LOTTED", json={"min_shelf_life_days": 5}))
        free = await open_receipt(c, supplier="ACME")
        assert (free["po"], free["supplier"], free["order_lines"]) == (None, "ACME", [])
        soon = gs1(EAN_LOT, lot="S3", expiry=TODAY + timedelta(days=6), qty=2)
        assert (await ok(await receive(c, free["number"], code=soon)))["flags"] == []
        await ok(await c.post(f"/api/receipts/{free['number']}/close"))
        # Stored nowhere yet and no fixed bin: the first empty bin.
        suggestions = await ok(await c.get(f"/api/receipts/{free['number']}/putaway"))
        assert [(s["sku"], s["location"], s["why"]) for s in suggestions] == [
            ("LOTTED", "A1", "empty bin")
        ]
