"""Pick lists: FEFO/FIFO allocation in walking order, waves, picking by scan with every
wrong-scan rejection, lot substitution, short picks re-allocated, and the writer's cap that
keeps two pickers from over-picking one line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error
from tests.server.sales.flows import confirmed, customer, ok, pick, receive, stock
from tests.server.stream.live import open_stream


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def gs1(lot: str) -> str:
    """The GS1 label of EAN_LOT's item with its lot (HRI form)."""
    return f"(01)0{EAN_LOT}(10){lot}"


async def locations(c: httpx.AsyncClient, *specs: tuple[str, int | None, str | None]) -> None:
    for code, sequence, zone in specs:
        body: dict[str, Any] = {
            "code": code,
            "warehouse": "WH1",
            "kind": "bin",
            "barcode": f"LOC-{code}",
        }
        if sequence is not None:
            body["pick_sequence"] = sequence
        if zone is not None:
            body["zone"] = zone
        await ok(await c.post("/api/locations", json=body), 201)


async def moves(c: httpx.AsyncClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await ok(await c.get("/api/moves"))
    return rows


async def test_fefo_allocation_in_walking_order_and_picking_by_scan(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 20}))
        await ok(await c.patch("/api/locations/A2", json={"pick_sequence": 10}))
        await locations(c, ("C1", 5, None))
        await receive(c, EAN_LOT, 5, "A2", lot="L-EXP", expiry=days(-1))  # expired: never
        await receive(c, EAN_LOT, 5, "A2", lot="L-LATE", expiry=days(200))
        await receive(c, EAN_LOT, 3, "A1", lot="L-SOON", expiry=days(30))
        await receive(c, EAN_LOT, 4, "C1", lot="L-MID", expiry=days(60))
        await receive(c, EAN_PLAIN, 10, "A2")
        await customer(c)
        first = await confirmed(c, [("LOTTED", 6, 10)])
        second = await confirmed(c, [("PLAIN", 3, 1)])

        pl = await ok(await c.post("/api/pick-lists", json={"orders": [first, second]}), 201)
        number = pl["number"]
        assert number.startswith("PK-") and pl["status"] == "open" and pl["staging"] == "STAGE"
        assert pl["orders"] == [first, second]
        got = [
            (ln["seq"], ln["location"], ln["sku"], ln["lot"], ln["qty"], ln["order"])
            for ln in pl["lines"]
        ]
        assert got == [
            (1, "C1", "LOTTED", "L-MID", 3, first),  # C1 walks first (sequence 5)
            (2, "A2", "PLAIN", None, 3, second),
            (3, "A1", "LOTTED", "L-SOON", 3, first),  # the earliest expiry, all of it
        ]
        assert pl["next_location"] == "C1"
        for n in (first, second):
            o = await ok(await c.get(f"/api/sales-orders/{n}"))
            assert o["pick_lists"] == [number] and o["status"] == "reserved"
        # Its barcode resolves to it.
        resolved = await ok(await c.get("/api/codes/resolve", params={"code": number}))
        assert resolved["kind"] == "document"
        assert resolved["document"] == {"type": "pick_list", "number": number, "status": "open"}

    async with world.server.client("picker") as p:
        before = len(await moves(p))
        url = f"/api/pick-lists/{number}/scans"
        err = expect_error(await p.post(url, json=pick("DOCK", EAN_PLAIN)), 422, "wrong_location")
        assert "go to C1" in err["message"] and err["details"]["expected"] == "C1"
        err = expect_error(await p.post(url, json=pick("C1", EAN_PLAIN)), 422, "wrong_location")
        assert "PLAIN is picked from A2" in err["message"]
        err = expect_error(await p.post(url, json=pick("C1", EAN_SERIAL)), 422, "wrong_item")
        assert err["details"]["expected"] == ["LOTTED"]
        expect_error(await p.post(url, json=pick("C1", "LOC-A1")), 422, "not_an_item")
        err = expect_error(await p.post(url, json=pick("C1", gs1("L-SOON"))), 422, "wrong_lot")
        assert err["details"]["expected"] == "L-MID"
        err = expect_error(
            await p.post(url, json=pick("C1", gs1("L-MID"), qty=4)), 409, "over_pick"
        )
        assert err["details"]["remaining"] == 3
        expect_error(
            await p.post(url, json=pick("C1", gs1("L-MID"), qty=0)), 422, "invalid_quantity"
        )
        expect_error(await p.post(url, json=pick("NOWHERE", EAN_PLAIN)), 422, "unknown_location")
        assert len(await moves(p)) == before  # nothing written

        # The right picks: a lot from the GS1 label, a quantity confirmed, a replay.
        r = await ok(await p.post(url, json=pick("C1", gs1("L-MID"), qty=2)))
        assert (r["result"]["status"], r["result"]["to_location"]) == ("applied", "STAGE")
        assert (r["line"]["picked"], r["line"]["status"]) == (2, "open")
        again = pick("LOC-C1", EAN_LOT, qty=1)  # the only lot left there: no lot scanned
        r = await ok(await p.post(url, json=again))
        assert r["line"]["status"] == "picked" and r["pick_list"]["next_location"] == "A2"
        replay = await ok(await p.post(url, json=again))
        assert replay["result"]["status"] == "duplicate"
        assert replay["result"]["event_id"] == again["event_id"]
        await ok(await p.post(url, json=pick("A2", EAN_PLAIN, qty=3)))
        o = await ok(await p.get(f"/api/sales-orders/{first}"))
        assert (o["status"], o["lines"][0]["picked"], o["lines"][0]["reserved"]) == (
            "partially_picked",
            3,
            3,
        )
        r = await ok(await p.post(url, json=pick("A1", gs1("L-SOON"), qty=3)))
        assert r["pick_list"]["status"] == "picked" and r["pick_list"]["next_location"] is None
        expect_error(await p.post(url, json=pick("A1", gs1("L-SOON"))), 409, "invalid_state")

        mine = [m for m in await moves(p) if m["reference"] == number]
        assert [
            (m["kind"], m["from_location"], m["to_location"], m["lot"], m["qty"]) for m in mine
        ] == [
            ("pick", "C1", "STAGE", "L-MID", 2),
            ("pick", "C1", "STAGE", "L-MID", 1),
            ("pick", "A2", "STAGE", None, 3),
            ("pick", "A1", "STAGE", "L-SOON", 3),
        ]
        book = await stock(p, warehouse="WH1")
        assert book[("STAGE", "LOTTED", "L-MID")] == 3 and book[("STAGE", "LOTTED", "L-SOON")] == 3
        assert book[("A2", "LOTTED", "L-EXP")] == 5  # the expired lot was never touched
        for n in (first, second):
            o = await ok(await p.get(f"/api/sales-orders/{n}"))
            assert o["status"] == "picked" and o["lines"][0]["reserved"] == 0
        avail = await ok(await p.get("/api/availability", params={"sku": "LOTTED"}))
        assert avail[0]["reserved"] == 0 and avail[0]["on_hand"] == 6  # L-LATE 5, L-MID 1


async def test_fifo_product_takes_the_oldest_lot(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/products/LOTTED", json={"pick_strategy": "fifo"}))
        await receive(c, EAN_LOT, 4, "A1", lot="FIRST-IN", expiry=days(300))
        await receive(c, EAN_LOT, 4, "A2", lot="SECOND-IN", expiry=days(40))
        await customer(c)
        number = await confirmed(c, [("LOTTED", 5, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        assert [(ln["lot"], ln["qty"]) for ln in pl["lines"]] == [("FIRST-IN", 4), ("SECOND-IN", 1)]
        await ok(await c.patch("/api/products/LOTTED", json={"pick_strategy": "fefo"}))
        other = await confirmed(c, [("LOTTED", 2, 1)])
        pl2 = await ok(await c.post("/api/pick-lists", json={"orders": [other]}), 201)
        # FEFO now, and the units the first list holds are not allocated twice.
        assert [(ln["lot"], ln["qty"]) for ln in pl2["lines"]] == [("SECOND-IN", 2)]
        expect_error(
            await c.post("/api/pick-lists", json={"orders": [other]}), 409, "invalid_state"
        )  # everything reserved is on a list already


async def test_substitute_lot_and_wrong_lot(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_LOT, 2, "A1", lot="EARLY", expiry=days(10))
        await receive(c, EAN_LOT, 3, "A1", lot="SOON", expiry=days(30))
        await receive(c, EAN_LOT, 3, "A1", lot="LATE", expiry=days(100))
        await customer(c)
        x = await confirmed(c, [("LOTTED", 2, 1)])
        y = await confirmed(c, [("LOTTED", 3, 1)])
        await ok(await c.post("/api/pick-lists", json={"orders": [x]}), 201)  # holds EARLY
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [y]}), 201)
        assert [(ln["lot"], ln["qty"]) for ln in pl["lines"]] == [("SOON", 3)]
        url = f"/api/pick-lists/{pl['number']}/scans"
        # EARLY expires sooner (and another list holds it): not a substitute.
        expect_error(await c.post(url, json=pick("A1", gs1("EARLY"))), 422, "wrong_lot")
        expect_error(await c.post(url, json=pick("A1", gs1("NOPE"))), 422, "wrong_lot")
        # LATE expires later and is free: the line is re-allocated to it.
        r = await ok(await c.post(url, json=pick("A1", gs1("LATE"), qty=2)))
        assert r["result"]["lot"] == "LATE" and r["line"]["lot"] == "LATE"
        lines = {
            (ln["lot"], ln["qty"], ln["picked"], ln["status"]) for ln in r["pick_list"]["lines"]
        }
        assert lines == {("SOON", 1, 0, "open"), ("LATE", 2, 2, "picked")}
        sub = next(ln for ln in r["pick_list"]["lines"] if ln["lot"] == "LATE")
        soon = next(ln for ln in r["pick_list"]["lines"] if ln["lot"] == "SOON")
        assert sub["substitute_for"] == soon["id"]
        await ok(await c.post(url, json=pick("A1", gs1("SOON"))))
        o = await ok(await c.get(f"/api/sales-orders/{y}"))
        assert (o["status"], o["lines"][0]["picked"]) == ("picked", 3)


async def test_short_pick_reallocates_then_records_the_shortage(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 1}))
        await ok(await c.patch("/api/locations/A2", json={"pick_sequence": 2}))
        await receive(c, EAN_PLAIN, 2, "A1")
        await receive(c, EAN_PLAIN, 3, "A2")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 5, 2)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        assert [(ln["location"], ln["qty"]) for ln in pl["lines"]] == [("A1", 2), ("A2", 3)]
        url = f"/api/pick-lists/{pl['number']}"
    async with world.server.client("picker") as p:
        await ok(await p.post(f"{url}/scans", json=pick("A1", EAN_PLAIN)))  # only one there
        a1 = pl["lines"][0]["id"]
        expect_error(await p.post(f"{url}/lines/999999/short", json={}), 404, "not_found")
        after = await ok(await p.post(f"{url}/lines/{a1}/short", json={"reason": "bin empty"}))
        # The missing one cannot come from elsewhere (A2's units are all allocated): short.
        got = [(ln["location"], ln["qty"], ln["picked"], ln["status"]) for ln in after["lines"]]
        assert got == [("A1", 2, 1, "short"), ("A2", 3, 0, "open")]
        assert after["lines"][0]["short_reason"] == "bin empty"
        expect_error(await p.post(f"{url}/lines/{a1}/short", json={}), 409, "invalid_state")
        o = await ok(await p.get(f"/api/sales-orders/{number}"))
        assert (o["lines"][0]["short"], o["lines"][0]["reserved"]) == (1, 3)
        await ok(await p.post(f"{url}/scans", json=pick("A2", EAN_PLAIN, qty=3)))
        o = await ok(await p.get(f"/api/sales-orders/{number}"))
        assert (o["status"], o["lines"][0]["picked"], o["lines"][0]["short"]) == ("picked", 4, 1)


async def test_a_short_pick_is_reallocated_to_another_location(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 1}))
        await receive(c, EAN_PLAIN, 2, "A1")
        await receive(c, EAN_PLAIN, 6, "A2")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 4, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        assert [(ln["location"], ln["qty"]) for ln in pl["lines"]] == [("A1", 2), ("A2", 2)]
        url = f"/api/pick-lists/{pl['number']}"
        after = await ok(await c.post(f"{url}/lines/{pl['lines'][0]['id']}/short", json={}))
        got = [(ln["location"], ln["qty"], ln["status"]) for ln in after["lines"]]
        assert got == [("A1", 2, "short"), ("A2", 4, "open")]
        await ok(await c.post(f"{url}/scans", json=pick("A2", EAN_PLAIN, qty=4)))
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert (o["status"], o["lines"][0]["picked"], o["lines"][0]["short"]) == ("picked", 4, 0)


async def test_two_pickers_cannot_over_pick_one_line(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 20, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 5, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
    url = f"/api/pick-lists/{pl['number']}/scans"
    pickers = [world.server.client("picker") for _ in range(12)]
    try:
        answers = await asyncio.gather(*(p.post(url, json=pick("A1", EAN_PLAIN)) for p in pickers))
    finally:
        for p in pickers:
            await p.aclose()
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 5 + [409] * 7, [r.text for r in answers]
    refused = {r.json()["error"]["code"] for r in answers if r.status_code == 409}
    assert refused <= {"over_pick", "invalid_state"}, refused  # late ones: the list is done
    async with world.server.client("supervisor") as c:
        assert (await stock(c))[("STAGE", "PLAIN", None)] == 5
        got = await ok(await c.get(f"/api/pick-lists/{pl['number']}"))
        assert (got["status"], got["lines"][0]["picked"]) == ("picked", 5)


async def test_picking_from_a_cancelled_pick_list_is_refused(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 2, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        await ok(await c.post(f"/api/sales-orders/{number}/cancel", json={"reason": "changed"}))
        got = await ok(await c.get(f"/api/pick-lists/{pl['number']}"))
        assert got["status"] == "cancelled" and got["lines"][0]["status"] == "cancelled"
        before = await stock(c)
        expect_error(
            await c.post(f"/api/pick-lists/{pl['number']}/scans", json=pick("A1", EAN_PLAIN)),
            409,
            "invalid_state",
        )
        assert await stock(c) == before
        # Bad requests: an unknown order, orders of two warehouses, no staging there.
        expect_error(
            await c.post("/api/pick-lists", json={"orders": ["SO-999999"]}), 404, "not_found"
        )
        expect_error(await c.post("/api/pick-lists", json={"orders": []}), 422, "validation_error")
        expect_error(
            await c.post("/api/pick-lists", json={"orders": [number]}), 409, "invalid_state"
        )
    async with world.server.client("picker") as p:
        expect_error(await p.post("/api/pick-lists", json={"orders": [number]}), 403, "forbidden")


async def test_progress_is_live_on_the_stream(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 2, 1)])
        async with open_stream(
            world.server, world.server.tokens["supervisor"], warehouse="WH1"
        ) as s:
            await s.snapshot()
            pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
            await ok(
                await c.post(
                    f"/api/pick-lists/{pl['number']}/scans", json=pick("A1", EAN_PLAIN, qty=2)
                )
            )
            seen: list[dict[str, Any]] = []
            while not any(m.get("type") == "pick_list" and m["status"] == "picked" for m in seen):
                seen.append(await s.recv())
        kinds = [(m["type"], m.get("event"), m.get("status")) for m in seen]
        assert ("pick_list", "created", "open") in kinds
        assert ("move", None, None) in kinds
        assert ("sales_order", "status", "picked") in kinds
        done = next(m for m in seen if m["type"] == "pick_list" and m["status"] == "picked")
        assert (done["warehouse"], done["lines_done"], done["lines_total"]) == ("WH1", 1, 1)


async def test_serial_numbers_are_picked_one_by_one(world: World) -> None:
    async with world.server.client("supervisor") as c:
        for serial in ("SN-1", "SN-2", "SN-3"):
            await receive(c, EAN_SERIAL, 1, "A1", lot=serial)
        await customer(c)
        number = await confirmed(c, [("SERIAL", 2, 99)])
        pl = await ok(
            await c.post("/api/pick-lists", json={"orders": [number], "assigned_to": "picker"}),
            201,
        )
        assert [(ln["lot"], ln["qty"]) for ln in pl["lines"]] == [("SN-1", 1), ("SN-2", 1)]
        expect_error(
            await c.post("/api/pick-lists", json={"orders": [number], "assigned_to": "nobody"}),
            404,
            "not_found",
        )
    async with world.server.client("picker") as p:
        mine = await ok(await p.get("/api/pick-lists", params={"mine": "true"}))
        assert [x["number"] for x in mine] == [pl["number"]] and mine[0]["assigned_to"] == "picker"
        url = f"/api/pick-lists/{pl['number']}/scans"
        expect_error(await p.post(url, json=pick("A1", "SN-2", qty=2)), 409, "over_pick")
        r = await ok(await p.post(url, json=pick("A1", "SN-2")))  # a bare serial number
        assert (r["result"]["lot"], r["line"]["status"]) == ("SN-2", "picked")
        # SN-3 instead of SN-1: any unit of the same kind may stand in (no expiry).
        r = await ok(await p.post(url, json=pick("A1", "SN-3")))
        assert r["line"]["lot"] == "SN-3" and r["pick_list"]["status"] == "picked"
        expect_error(await p.post(url, json=pick("A1", "SN-1")), 409, "invalid_state")
        book = await stock(p)
        assert book[("STAGE", "SERIAL", "SN-2")] == 1 and book[("STAGE", "SERIAL", "SN-3")] == 1
        assert book[("A1", "SERIAL", "SN-1")] == 1


async def test_pick_lists_created_at_once_never_allocate_a_unit_twice(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await ok(await c.patch("/api/locations/A1", json={"pick_sequence": 1}))
        await receive(c, EAN_PLAIN, 5, "A1")
        await receive(c, EAN_PLAIN, 5, "A2")
        numbers = []
        for i in range(10):
            await customer(c, f"C{i}")
            numbers.append(await confirmed(c, [("PLAIN", 1, 1)], customer_code=f"C{i}"))
    clients = [world.server.client("supervisor") for _ in numbers]
    try:
        answers = await asyncio.gather(
            *(
                x.post("/api/pick-lists", json={"orders": [n]})
                for x, n in zip(clients, numbers, strict=True)
            )
        )
    finally:
        for x in clients:
            await x.aclose()
    assert [r.status_code for r in answers] == [201] * 10, [r.text for r in answers]
    per_location: dict[str, int] = {}
    for r in answers:
        for ln in r.json()["lines"]:
            per_location[ln["location"]] = per_location.get(ln["location"], 0) + ln["qty"]
    assert per_location == {"A1": 5, "A2": 5}


async def test_one_picker_per_pick_list(world: World) -> None:
    from tests.conftest import user_token

    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 2, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
    other = await user_token(world.server, "picker-2", "picker")
    url = f"/api/pick-lists/{pl['number']}"
    async with world.server.client("picker") as p, world.server.client(other) as q:
        taken = await ok(await p.post(f"{url}/claim"))
        assert taken["assigned_to"] == "picker"
        assert (await ok(await p.post(f"{url}/claim")))["assigned_to"] == "picker"  # again: fine
        err = expect_error(await q.post(f"{url}/claim"), 409, "pick_list_claimed")
        assert "picker is picking" in err["message"]
        expect_error(
            await q.post(f"{url}/scans", json=pick("A1", EAN_PLAIN)), 409, "pick_list_claimed"
        )
        expect_error(await q.post(f"{url}/release"), 409, "pick_list_claimed")
        await ok(await p.post(f"{url}/scans", json=pick("A1", EAN_PLAIN)))
        assert (await ok(await p.post(f"{url}/release")))["assigned_to"] is None
        assert (await ok(await q.post(f"{url}/claim")))["assigned_to"] == "picker-2"
        r = await ok(await q.post(f"{url}/scans", json=pick("A1", EAN_PLAIN)))
        assert r["pick_list"]["status"] == "picked"
        expect_error(await q.post(f"{url}/claim"), 409, "invalid_state")
