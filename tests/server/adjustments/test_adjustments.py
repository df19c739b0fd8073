"""Adjustments with reason codes: posted at once within the threshold, approved by another
supervisor beyond it, visible in the ledger with who and why."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EAN_PLAIN, World, expect_error, scan, user_token


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def test_reasons_thresholds_and_approval(world: World) -> None:
    srv = world.server
    boss = await user_token(srv, "boss", role="supervisor")
    async with (
        srv.client("supervisor") as sup,
        srv.client("picker") as picker,
        srv.client(boss) as other,
    ):
        await ok(await sup.patch("/api/products/PLAIN", json={"unit_cost": 100}))
        await ok(
            await sup.post(
                "/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=50, location="A1")
            )
        )

        # Within the thresholds (10 units, 500 of value): posted at once, even by a picker.
        small = scan(location="A1", code=EAN_PLAIN, qty=2, reason="damage", note="forklift")
        a = await ok(await picker.post("/api/adjustments", json=small), 201)
        assert (a["status"], a["qty"], a["value"], a["requested_by"]) == (
            "posted",
            -2,
            -200,
            "picker",
        )
        again = await ok(await picker.post("/api/adjustments", json=small), 201)
        assert again["number"] == a["number"]  # a retry posts nothing more
        found = scan(location="A1", code=EAN_PLAIN, qty=1, reason="found")
        assert (await ok(await picker.post("/api/adjustments", json=found), 201))["qty"] == 1

        # Beyond (6 x 100 = 600 of value): pending, nothing moves until approved.
        big = scan(location="A1", code=EAN_PLAIN, qty=6, reason="scrap", note="expired labels")
        pending = await ok(await sup.post("/api/adjustments", json=big), 201)
        assert pending["status"] == "pending" and pending["seq"] is None
        expect_error(
            await sup.post(f"/api/adjustments/{pending['number']}/approve"), 403, "forbidden"
        )
        expect_error(
            await picker.post(f"/api/adjustments/{pending['number']}/approve"), 403, "forbidden"
        )
        approved = await ok(await other.post(f"/api/adjustments/{pending['number']}/approve"))
        assert (approved["status"], approved["decided_by"]) == ("posted", "boss")
        expect_error(
            await other.post(f"/api/adjustments/{pending['number']}/approve"), 409, "invalid_state"
        )

        # A request the ledger refuses leaves nothing behind.
        huge = scan(location="A1", code=EAN_PLAIN, qty=5, reason="loss")
        await ok(await sup.patch("/api/products/PLAIN", json={"unit_cost": 0}))
        await ok(
            await sup.post(
                "/api/scans", json=scan(type="pick", code=EAN_PLAIN, qty=40, location="A1")
            )
        )
        expect_error(await picker.post("/api/adjustments", json=huge), 409, "insufficient_stock")
        assert len(await ok(await sup.get("/api/adjustments"))) == 3

        moves = {m["reference"]: m for m in await ok(await sup.get("/api/moves")) if m["reference"]}
        posted = moves[a["number"]]
        assert (posted["from_location"], posted["to_location"], posted["reason"]) == (
            "A1",
            "WH1:LOSS",
            "damage: forklift",
        )
        scrap = moves[pending["number"]]
        assert (scrap["to_location"], scrap["qty"], scrap["reason"]) == (
            "WH1:SCRAP",
            6,
            "scrap: expired labels",
        )
        assert scrap["user_id"] != posted["user_id"]  # who: the approver; the picker before
