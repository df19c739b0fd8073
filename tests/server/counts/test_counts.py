"""Cycle counts while the floor keeps moving: snapshots, claims, blind counts, variances,
recounts and approvals, all posted through the ledger."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error, scan, user_token


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def receive(c: httpx.AsyncClient, **fields: Any) -> None:
    r = await c.post("/api/scans", json=scan(type="receive", **fields))
    assert r.json()["status"] == "applied", r.text


async def new_count(c: httpx.AsyncClient, **body: Any) -> str:
    data = await ok(await c.post("/api/counts", json={"warehouse": "WH1", **body}), 201)
    return str(data["number"])


async def count(c: httpx.AsyncClient, number: str, location: str, code: str, **kw: Any) -> Any:
    body = scan(location=location, code=code, **kw)
    return await ok(await c.post(f"/api/counts/{number}/scans", json=body))


async def stock(c: httpx.AsyncClient, location: str, sku: str) -> Any:
    rows = await ok(await c.get("/api/stock", params={"location": location, "sku": sku}))
    return sum(r["qty"] for r in rows)


def lines(body: dict[str, Any], location: str) -> dict[tuple[str, str | None], dict[str, Any]]:
    place = next(p for p in body["locations"] if p["location"] == location)
    return {(ln["sku"], ln["lot"]): ln for ln in place["lines"]}


async def test_picks_during_a_count_are_not_variances(world: World) -> None:
    """A pick before the counter reaches the product, and one after it was counted: neither
    is a variance; a real shortage still is."""
    srv = world.server
    async with srv.client("supervisor") as sup, srv.client("counter") as counter:
        await receive(sup, code=EAN_PLAIN, qty=10, location="A1")
        await receive(sup, code=EAN_LOT, lot="L1", qty=6, location="A1")
        number = await new_count(sup, locations=["A1"], blind=False)
        started = await ok(await counter.post(f"/api/counts/{number}/locations/A1/start"))
        assert {(ln["sku"], ln["book"]) for ln in started["lines"]} == {
            ("PLAIN", 10),
            ("LOTTED", 6),
        }

        # The picker takes 2 PLAIN before the counter gets to it: 8 on the shelf.
        r = await sup.post(
            "/api/scans", json=scan(type="pick", code=EAN_PLAIN, qty=2, location="A1")
        )
        assert r.json()["status"] == "applied"
        await count(counter, number, "A1", EAN_PLAIN, qty=8)
        # The counter counts 6 LOTTED, then a picker takes 1 of them: counted, then gone.
        await count(counter, number, "A1", EAN_LOT, qty=5)
        await count(counter, number, "A1", EAN_LOT)  # one more, one scan one unit: 6
        r = await sup.post(
            "/api/scans", json=scan(type="pick", code=EAN_LOT, lot="L1", qty=1, location="A1")
        )
        assert r.json()["status"] == "applied"
        done = await ok(await counter.post(f"/api/counts/{number}/locations/A1/finish"))
        got = {
            (ln["sku"], ln["lot"]): (ln["counted"], ln["expected"], ln["variance"])
            for ln in done["lines"]
        }
        assert got == {("PLAIN", None): (8, 8, 0), ("LOTTED", "L1"): (6, 6, 0)}

        closed = await ok(await sup.post(f"/api/counts/{number}/close"))
        assert closed["status"] == "done"
        assert closed["accuracy"] == {"lines": 2, "ok": 2, "accuracy": 1.0}
        moves = await ok(await sup.get("/api/moves"))
        assert [m for m in moves if m["reference"] == number] == []  # nothing to correct
        assert await stock(sup, "A1", "PLAIN") == 8

    # The same with a real loss: 10 on the book, a pick of 2 mid-count, 7 found.
    async with srv.client("supervisor") as sup, srv.client("counter") as counter:
        await receive(sup, code=EAN_PLAIN, qty=2, location="A2")
        number = await new_count(sup, locations=["A2"], products=["PLAIN"])
        await ok(await counter.post(f"/api/counts/{number}/locations/A2/start"))
        await sup.post("/api/scans", json=scan(type="pick", code=EAN_PLAIN, qty=1, location="A2"))
        await count(counter, number, "A2", EAN_PLAIN, qty=0, replace=True)
        await ok(await counter.post(f"/api/counts/{number}/locations/A2/finish"))
        closed = await ok(await sup.post(f"/api/counts/{number}/close"))
        line = lines(closed, "A2")[("PLAIN", None)]
        assert (line["book"], line["expected"], line["counted"], line["variance"]) == (2, 1, 0, -1)
        assert line["status"] == "posted" and closed["status"] == "done"
        assert closed["accuracy"] == {"lines": 1, "ok": 0, "accuracy": 0.0}
        moves = [m for m in await ok(await sup.get("/api/moves")) if m["reference"] == number]
        assert [(m["kind"], m["from_location"], m["to_location"], m["qty"]) for m in moves] == [
            ("count", "A2", "WH1:LOSS", 1)
        ]
        assert moves[0]["reason"] == "count variance" and moves[0]["user_id"] is not None
        assert await stock(sup, "A2", "PLAIN") == 0


async def test_a_blind_count_hides_the_book_from_the_counter(world: World) -> None:
    srv = world.server
    async with srv.client("supervisor") as sup, srv.client("counter") as counter:
        await receive(sup, code=EAN_PLAIN, qty=37, location="A1")
        number = await new_count(sup, locations=["A1"])  # blind by default

        def numbers(value: Any) -> list[Any]:
            if isinstance(value, dict):
                return [n for v in value.values() for n in numbers(v)]
            if isinstance(value, list):
                return [n for v in value for n in numbers(v)]
            return [value] if isinstance(value, int | float) else []

        def no_book(payload: Any) -> None:
            # No number anywhere is the book's 37 (a timestamp's "…:37" is no leak).
            assert 37 not in numbers(payload), payload
            for line in payload.get("lines", []) if isinstance(payload, dict) else []:
                assert line["book"] is None and line["expected"] is None
                assert line["variance"] is None

        started = await ok(await counter.post(f"/api/counts/{number}/locations/A1/start"))
        no_book(started)
        assert [ln["sku"] for ln in started["lines"]] == ["PLAIN"]  # what to look for, no qty
        result = await count(counter, number, "A1", EAN_PLAIN, qty=35)
        assert result["book"] is None and result["counted"] == 35
        no_book(await ok(await counter.post(f"/api/counts/{number}/locations/A1/finish")))
        as_counter = await ok(await counter.get(f"/api/counts/{number}"))
        no_book(as_counter)
        assert as_counter["accuracy"] is None and as_counter["threshold_qty"] is None

        as_supervisor = await ok(await sup.get(f"/api/counts/{number}"))
        line = lines(as_supervisor, "A1")[("PLAIN", None)]
        assert (line["book"], line["expected"], line["variance"]) == (37, 37, -2)


async def test_two_counters_cannot_claim_one_location(world: World) -> None:
    srv = world.server
    second = await user_token(srv, "counter2", role="counter")
    async with (
        srv.client("supervisor") as sup,
        srv.client("counter") as one,
        srv.client(second) as two,
    ):
        await receive(sup, code=EAN_PLAIN, qty=5, location="A1")
        number = await new_count(sup, locations=["A1", "A2"])
        await ok(await one.post(f"/api/counts/{number}/locations/A1/start"))
        expect_error(
            await two.post(f"/api/counts/{number}/locations/A1/start"), 409, "location_claimed"
        )
        expect_error(
            await two.post(f"/api/counts/{number}/scans", json=scan(location="A1", code=EAN_PLAIN)),
            409,
            "location_claimed",
        )
        await ok(await two.post(f"/api/counts/{number}/locations/A2/start"))  # another one: fine
        # Racing for the same location: exactly one wins.
        number = await new_count(sup, locations=["A1"])
        answers = await asyncio.gather(
            one.post(f"/api/counts/{number}/locations/A1/start"),
            two.post(f"/api/counts/{number}/locations/A1/start"),
        )
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        loser = next(r for r in answers if r.status_code == 409)
        expect_error(loser, 409, "location_claimed")
        # A retried scan counts once.
        winner = one if answers[0].status_code == 200 else two
        body = scan(location="A1", code=EAN_PLAIN, qty=2)
        first = await ok(await winner.post(f"/api/counts/{number}/scans", json=body))
        again = await ok(await winner.post(f"/api/counts/{number}/scans", json=body))
        assert (first["status"], again["status"], again["counted"]) == ("counted", "duplicate", 2)


async def test_a_variance_beyond_the_threshold_waits_for_a_recount(world: World) -> None:
    srv = world.server
    async with srv.client("supervisor") as sup, srv.client("counter") as counter:
        await ok(await sup.patch("/api/products/PLAIN", json={"unit_cost": "2.5"}))
        await receive(sup, code=EAN_PLAIN, qty=20, location="A1")
        await receive(sup, code=EAN_PLAIN, qty=4, location="A2")
        number = await new_count(sup, locations=["A1", "A2"], threshold_qty=3)
        for loc, qty in (("A1", 12), ("A2", 3)):  # A1: -8 (beyond 3); A2: -1 (within)
            await ok(await counter.post(f"/api/counts/{number}/locations/{loc}/start"))
            await count(counter, number, loc, EAN_PLAIN, qty=qty)
            await ok(await counter.post(f"/api/counts/{number}/locations/{loc}/finish"))
        expect_error(await counter.post(f"/api/counts/{number}/close"), 403, "forbidden")
        closed = await ok(await sup.post(f"/api/counts/{number}/close"))
        assert closed["status"] == "review"
        a1, a2 = lines(closed, "A1")[("PLAIN", None)], lines(closed, "A2")[("PLAIN", None)]
        assert (a1["status"], a1["variance"], a1["variance_value"]) == ("review", -8, -20)
        assert (a2["status"], a2["variance"]) == ("posted", -1)
        assert await stock(sup, "A1", "PLAIN") == 20  # nothing posted for A1 yet
        assert await stock(sup, "A2", "PLAIN") == 3

        # Recount A1: a new round, a new claim and snapshot; this time 19 are found.
        recount = await ok(await sup.post(f"/api/counts/{number}/recount", json={}))
        assert recount["status"] == "open"
        place = next(p for p in recount["locations"] if p["location"] == "A1")
        assert (place["status"], place["round"], place["lines"]) == ("pending", 2, [])
        await ok(await counter.post(f"/api/counts/{number}/locations/A1/start"))
        await count(counter, number, "A1", EAN_PLAIN, qty=19)
        await ok(await counter.post(f"/api/counts/{number}/locations/A1/finish"))
        closed = await ok(await sup.post(f"/api/counts/{number}/close"))
        a1 = lines(closed, "A1")[("PLAIN", None)]
        assert (a1["status"], a1["variance"], closed["status"]) == ("posted", -1, "done")
        assert await stock(sup, "A1", "PLAIN") == 19
        expect_error(await sup.post(f"/api/counts/{number}/recount", json={}), 409, "invalid_state")


async def test_a_supervisor_approves_a_large_variance(world: World) -> None:
    srv = world.server
    async with srv.client("supervisor") as sup, srv.client("counter") as counter:
        await receive(sup, code=EAN_SERIAL, lot="SN-1", location="A1")
        number = await new_count(sup, locations=["A1"], threshold_qty=0)
        await ok(await counter.post(f"/api/counts/{number}/locations/A1/start"))
        for _ in range(2):  # a serial scanned twice is still one unit
            await count(counter, number, "A1", EAN_SERIAL, lot="SN-2")
        await ok(await counter.post(f"/api/counts/{number}/locations/A1/finish"))
        closed = await ok(await sup.post(f"/api/counts/{number}/close"))
        got = {
            k: (v["counted"], v["variance"], v["status"]) for k, v in lines(closed, "A1").items()
        }
        assert got == {("SERIAL", "SN-1"): (0, -1, "review"), ("SERIAL", "SN-2"): (1, 1, "review")}
        approved = await ok(await sup.post(f"/api/counts/{number}/approve", json={}))
        assert approved["status"] == "done", approved
        rows = await ok(await sup.get("/api/stock", params={"sku": "SERIAL"}))
        assert [(r["location"], r["lot"], r["qty"]) for r in rows] == [("A1", "SN-2", 1)]
