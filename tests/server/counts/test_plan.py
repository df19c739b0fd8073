"""The ABC cycle-count plan: A monthly, B quarterly, C yearly by default; tasks for what is
due, one open task per product, done when a session counts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error, scan


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def test_the_abc_plan_generates_the_due_tasks(world: World) -> None:
    srv = world.server
    today = datetime.now(UTC).date()

    def day(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    async with srv.client("supervisor") as c, srv.client("counter") as counter:
        for sku, abc in (("PLAIN", "A"), ("LOTTED", "B"), ("SERIAL", "C")):
            await ok(await c.patch(f"/api/products/{sku}", json={"abc_class": abc}))
        for body in (
            scan(type="receive", code=EAN_PLAIN, qty=5, location="A1"),
            scan(type="receive", code=EAN_LOT, lot="L1", qty=5, location="A2"),
            scan(type="receive", code=EAN_SERIAL, lot="S1", location="A2"),
        ):
            assert (await c.post("/api/scans", json=body)).json()["status"] == "applied"
        plan = await ok(await c.get("/api/count-plans/WH1"))
        assert plan["intervals"] == {"A": 30, "B": 90, "C": 365}
        await ok(
            await c.put("/api/count-plans/WH1", json={"intervals": {"A": 30, "B": 90, "C": 365}})
        )
        expect_error(
            await counter.put("/api/count-plans/WH1", json={"intervals": {"A": 7}}),
            403,
            "forbidden",
        )
        assert await ok(await c.post("/api/count-plans/WH2/generate", json={})) == []  # no stock

        # Never counted: everything is due now, once.
        tasks = await ok(await c.post("/api/count-plans/WH1/generate", json={}))
        assert sorted((t["sku"], t["abc_class"], t["due_date"]) for t in tasks) == [
            ("LOTTED", "B", day(0)),
            ("PLAIN", "A", day(0)),
            ("SERIAL", "C", day(0)),
        ]
        assert await ok(await c.post("/api/count-plans/WH1/generate", json={})) == []

        # A session from the due tasks counts exactly those products, and settles them.
        r = await ok(await c.post("/api/counts", json={"warehouse": "WH1", "tasks": True}), 201)
        number = r["number"]
        assert sorted(p["location"] for p in r["locations"]) == ["A1", "A2"]
        open_tasks = await ok(await c.get("/api/count-tasks", params={"warehouse": "WH1"}))
        assert {t["session"] for t in open_tasks} == {number}
        for loc, codes in (
            ("A1", [(EAN_PLAIN, {"qty": 5})]),
            ("A2", [(EAN_LOT, {"qty": 5, "lot": "L1"}), (EAN_SERIAL, {"lot": "S1"})]),
        ):
            await ok(await counter.post(f"/api/counts/{number}/locations/{loc}/start"))
            for code, kw in codes:
                await ok(
                    await counter.post(
                        f"/api/counts/{number}/scans", json=scan(location=loc, code=code, **kw)
                    )
                )
            await ok(await counter.post(f"/api/counts/{number}/locations/{loc}/finish"))
        assert (await ok(await c.post(f"/api/counts/{number}/close")))["status"] == "done"
        assert await ok(await c.get("/api/count-tasks", params={"warehouse": "WH1"})) == []
        done = await ok(await c.get("/api/count-tasks", params={"status": "done"}))
        assert len(done) == 3

        # Counted today: A is due in 30 days, B in 90, C in 365.
        def due(tasks: list[Any]) -> list[tuple[str, str]]:
            return sorted((t["sku"], t["due_date"]) for t in tasks)

        assert (
            await ok(await c.post("/api/count-plans/WH1/generate", json={"as_of": day(29)})) == []
        )
        assert due(
            await ok(await c.post("/api/count-plans/WH1/generate", json={"as_of": day(31)}))
        ) == [("PLAIN", day(30))]
        assert due(
            await ok(await c.post("/api/count-plans/WH1/generate", json={"as_of": day(100)}))
        ) == [("LOTTED", day(90))]
        assert due(
            await ok(await c.post("/api/count-plans/WH1/generate", json={"as_of": day(400)}))
        ) == [("SERIAL", day(365))]
        accuracy = await ok(await c.get("/api/counts/accuracy", params={"warehouse": "WH1"}))
        assert (accuracy["lines"], accuracy["ok"], accuracy["accuracy"]) == (3, 3, 1.0)
        assert [s["number"] for s in accuracy["sessions"]] == [number]
        assert [m["month"] for m in accuracy["by_month"]] == [today.strftime("%Y-%m")]
