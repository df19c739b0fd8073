"""Stock alerts: raised once, cleared when the condition ends, pushed on the stock stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error, scan
from tests.server.stream.live import Stream, open_stream


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def applied(c: httpx.AsyncClient, **fields: Any) -> None:
    r = await c.post("/api/scans", json=scan(**fields))
    assert r.json()["status"] == "applied", r.text


async def alerts_until(
    c: httpx.AsyncClient, expected: set[tuple[str, str | None]], **params: Any
) -> list[Any]:
    """Poll the open alerts until they are ``expected`` (kind, lot): evaluation follows a
    commit asynchronously."""
    for _ in range(200):
        rows = await ok(await c.get("/api/alerts", params=params))
        if {(a["kind"], a["lot"]) for a in rows} == expected:
            return rows  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"open alerts never became {expected}: {rows}")


async def next_alert(stream: Stream) -> dict[str, Any]:
    while (m := await stream.recv())["type"] != "alert":
        assert m["type"] == "move", m
    return m


async def test_expiry_alerts_are_raised_once_and_cleared(world: World) -> None:
    srv = world.server
    today = datetime.now(UTC).date()
    soon, past = today + timedelta(days=10), today - timedelta(days=1)
    async with (
        srv.client("supervisor") as c,
        open_stream(srv, srv.tokens["supervisor"], warehouse="WH1") as stream,
    ):
        await stream.snapshot()
        await applied(
            c, type="receive", code=EAN_LOT, lot="E1", expiry=soon.isoformat(), qty=5, location="A1"
        )
        raised = await next_alert(stream)
        assert (raised["event"], raised["kind"], raised["lot"], raised["warehouse"]) == (
            "raised",
            "expiring",
            "E1",
            "WH1",
        )
        assert "seq" not in raised
        await alerts_until(c, {("expiring", "E1")})

        # The condition still holds after more moves: no second alert, no second event.
        await applied(c, type="receive", code=EAN_LOT, lot="E1", qty=2, location="A2")
        await applied(
            c, type="transfer", code=EAN_LOT, lot="E1", qty=1, location="A1", to_location="A2"
        )
        assert await ok(await c.post("/api/alerts/evaluate")) == {"raised": 0, "cleared": 0}
        await stream.moves(2)
        await stream.quiet(0.5)
        assert len(await ok(await c.get("/api/alerts", params={"include_cleared": "true"}))) == 1

        # Eleven days later: expiring ends, expired begins; picking it is refused.
        evaluator = srv.app.state.jxc.alerts
        evaluator.today = lambda: today + timedelta(days=11)
        assert await ok(await c.post("/api/alerts/evaluate")) == {"raised": 1, "cleared": 1}
        events = {
            (m["event"], m["kind"]) for m in [await next_alert(stream), await next_alert(stream)]
        }
        assert events == {("cleared", "expiring"), ("raised", "expired")}
        await alerts_until(c, {("expired", "E1")})

        # Scrapping what is left clears it; the alert history shows each state once.
        for loc, qty in (("A1", 4), ("A2", 3)):
            body = scan(
                location=loc, code=EAN_LOT, lot="E1", qty=qty, reason="scrap", note="expired"
            )
            assert (await ok(await c.post("/api/adjustments", json=body), 201))[
                "status"
            ] == "posted"
        cleared = await next_alert(stream)
        assert (cleared["event"], cleared["kind"], cleared["lot"]) == ("cleared", "expired", "E1")
        assert cleared["cleared_at"] is not None
        await alerts_until(c, set())
        history = await ok(await c.get("/api/alerts", params={"include_cleared": "true"}))
        assert sorted((a["kind"], a["cleared_at"] is not None) for a in history) == [
            ("expired", True),
            ("expiring", True),
        ]

    # An expired lot cannot be picked (nor shipped); receiving it is allowed, and alerted.
    async with srv.client("supervisor") as c:
        await applied(
            c,
            type="receive",
            code=EAN_LOT,
            lot="OLD",
            expiry=past.isoformat(),
            qty=3,
            location="A1",
        )
        r = await c.post(
            "/api/scans", json=scan(type="pick", code=EAN_LOT, lot="OLD", location="A1")
        )
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["code"] == "lot_expired" and past.isoformat() in err["message"]
        await alerts_until(c, {("expired", "OLD")}, kind="expired")


async def test_stock_level_alerts_follow_the_stock(world: World) -> None:
    srv = world.server
    async with srv.client("supervisor") as c:
        await ok(await c.patch("/api/products/PLAIN", json={"safety_stock": 5, "max_stock": 20}))
        await applied(c, type="receive", code=EAN_PLAIN, qty=3, location="A1")
        [below] = await alerts_until(c, {("below_safety_stock", None)})
        assert (below["sku"], below["value"], below["threshold"]) == ("PLAIN", 3, 5)
        await applied(c, type="receive", code=EAN_PLAIN, qty=10, location="A2")
        await alerts_until(c, set())
        await applied(c, type="receive", code=EAN_PLAIN, qty=10, location="A2")
        [over] = await alerts_until(c, {("overstock", None)})
        assert over["value"] == 23
        assert await alerts_until(c, set(), warehouse="WH2") == []
        await applied(c, type="pick", code=EAN_PLAIN, qty=5, location="A2")
        await alerts_until(c, set())
        history = await ok(await c.get("/api/alerts", params={"include_cleared": "true"}))
        assert sorted(a["kind"] for a in history) == ["below_safety_stock", "overstock"]
        expect_error(await c.get("/api/alerts", params={"kind": "nope"}), 422, "validation_error")
    async with srv.client("picker") as c:
        expect_error(await c.post("/api/alerts/evaluate"), 403, "forbidden")
