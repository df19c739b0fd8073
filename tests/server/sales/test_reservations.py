"""Oversell prevention: confirming reserves; available = sellable on hand - reserved; twenty
confirmations racing for ten units reserve exactly ten — in one process and across
processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error, free_port, scan
from tests.server.sales.flows import available, confirmed, customer, ok, order, receive

ROOT = Path(__file__).resolve().parents[3]


async def test_available_is_sellable_on_hand_less_reservations(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 6, "A1")
        await receive(c, EAN_PLAIN, 4, "A2")
        await receive(c, EAN_PLAIN, 5, "DOCK")  # not put away: not sellable
        await receive(c, EAN_PLAIN, 2, "STAGE")  # staged for shipping: not sellable
        expired = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        fresh = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
        await receive(c, EAN_LOT, 3, "A1", lot="OLD", expiry=expired)  # may not be picked
        await receive(c, EAN_LOT, 7, "A1", lot="NEW", expiry=fresh)
        await customer(c)
        assert await available(c, "PLAIN") == {
            "warehouse": "WH1",
            "sku": "PLAIN",
            "on_hand": 10,
            "reserved": 0,
            "available": 10,
        }
        assert (await available(c, "LOTTED"))["on_hand"] == 7

        number = await confirmed(c, [("PLAIN", 7, 1), ("LOTTED", 7, 2)])
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert o["status"] == "reserved"
        assert [(ln["sku"], ln["reserved"], ln["backordered"]) for ln in o["lines"]] == [
            ("PLAIN", 7, 0),
            ("LOTTED", 7, 0),
        ]
        assert (await available(c, "PLAIN"))["available"] == 3
        assert (await available(c, "LOTTED"))["available"] == 0

        # 4 more PLAIN cannot be promised: refused, nothing written.
        second = (await order(c, [("PLAIN", 4, 1)]))["number"]
        err = expect_error(
            await c.post(f"/api/sales-orders/{second}/confirm"), 409, "insufficient_available"
        )
        assert err["details"]["lines"] == [{"sku": "PLAIN", "ordered": 4.0, "available": 3.0}]
        o2 = await ok(await c.get(f"/api/sales-orders/{second}"))
        assert (o2["status"], o2["lines"][0]["reserved"], o2["confirmed_at"]) == ("draft", 0, None)
        history = await ok(await c.get(f"/api/sales-orders/{second}/history"))
        assert [h["to_status"] for h in history] == ["draft"]
        assert (await available(c, "PLAIN"))["reserved"] == 7

        # An ad-hoc pick bypassing orders may take reserved stock: available goes negative
        # and the alert says so.
        body = scan(type="pick", code=EAN_PLAIN, qty=5, location="A1")
        assert (await ok(await c.post("/api/scans", json=body)))["status"] == "applied"
        assert (await available(c, "PLAIN"))["available"] == -2
        alerts = await _wait_for_alert(c, "negative_available", "PLAIN")
        assert alerts[0]["value"] == -2

        # Cancelling releases the reservation; the alert clears.
        await ok(await c.post(f"/api/sales-orders/{number}/cancel", json={"reason": "test"}))
        assert (await available(c, "PLAIN")) | {"available": None} == {
            "warehouse": "WH1",
            "sku": "PLAIN",
            "on_hand": 5,
            "reserved": 0,
            "available": None,
        }
        await ok(await c.post("/api/alerts/evaluate"))
        assert await _open_alerts(c, "negative_available") == []


async def _open_alerts(c: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await ok(await c.get("/api/alerts", params={"kind": kind}))
    return rows


async def _wait_for_alert(c: httpx.AsyncClient, kind: str, sku: str) -> list[dict[str, Any]]:
    for _ in range(200):
        found = [a for a in await _open_alerts(c, kind) if a["sku"] == sku]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} alert for {sku}")


async def test_backorder_reserves_what_it_can_then_the_rest(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 3, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 5, 1)], backorder=True)
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert o["status"] == "confirmed" and o["backorder"] is True
        line = o["lines"][0]
        assert (line["allotted"], line["reserved"], line["backordered"]) == (3, 3, 2)
        expect_error(
            await c.post(f"/api/sales-orders/{number}/confirm"), 409, "invalid_state"
        )  # confirmed once
        await receive(c, EAN_PLAIN, 1, "A2")
        o = await ok(await c.post(f"/api/sales-orders/{number}/reserve"))
        assert (o["status"], o["lines"][0]["backordered"]) == ("confirmed", 1)
        await receive(c, EAN_PLAIN, 5, "A2")
        o = await ok(await c.post(f"/api/sales-orders/{number}/reserve"))
        assert (o["status"], o["lines"][0]["reserved"], o["lines"][0]["backordered"]) == (
            "reserved",
            5,
            0,
        )
        expect_error(await c.post(f"/api/sales-orders/{number}/reserve"), 409, "invalid_state")
        assert (await available(c, "PLAIN"))["available"] == 4


async def _race(clients: list[httpx.AsyncClient], numbers: list[str]) -> list[int]:
    async def confirm(i: int, number: str) -> int:
        r = await clients[i % len(clients)].post(f"/api/sales-orders/{number}/confirm")
        assert r.status_code in (200, 409), r.text
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "insufficient_available", r.text
        return r.status_code

    return list(await asyncio.gather(*(confirm(i, n) for i, n in enumerate(numbers))))


async def _twenty_orders(c: httpx.AsyncClient) -> list[str]:
    """Twenty customers (a per-customer lock alone would serialise one customer's orders)."""
    await receive(c, EAN_PLAIN, 10, "A1")
    numbers = []
    for i in range(20):
        await customer(c, f"C{i:02d}")
        numbers.append((await order(c, [("PLAIN", 1, 1)], customer_code=f"C{i:02d}"))["number"])
    return numbers


async def _check_ten(c: httpx.AsyncClient, numbers: list[str], statuses: list[int]) -> None:
    assert statuses.count(200) == 10, statuses
    states = [(await ok(await c.get(f"/api/sales-orders/{n}")))["status"] for n in numbers]
    assert states.count("reserved") == 10 and states.count("draft") == 10, states
    assert await available(c, "PLAIN") == {
        "warehouse": "WH1",
        "sku": "PLAIN",
        "on_hand": 10,
        "reserved": 10,
        "available": 0,
    }


async def test_twenty_confirms_for_ten_units_reserve_exactly_ten(world: World) -> None:
    async with world.server.client("supervisor") as c:
        numbers = await _twenty_orders(c)
        clients = [world.server.client("supervisor") for _ in range(20)]
        try:
            statuses = await _race(clients, numbers)
        finally:
            for other in clients:
                await other.aclose()
        await _check_ten(c, numbers, statuses)


@contextlib.asynccontextmanager
async def jxc_serve(settings: Any) -> AsyncIterator[str]:
    """Another server *process* (``jxc serve``) on the same database and secret."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    env.update(
        JXC_ENV="dev",
        JXC_DATABASE_URL=settings.database_url,
        JXC_SECRET_KEY=settings.secret_key,
        PYTHONPATH=str(ROOT),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "serve", "--port", str(port),
        env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(400):
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("jxc serve did not become ready")
        yield base
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def test_twenty_confirms_across_two_processes_reserve_exactly_ten(world: World) -> None:
    async with world.server.client("supervisor") as c:
        numbers = await _twenty_orders(c)
        async with jxc_serve(world.server.settings) as other_base:
            token = world.server.tokens["supervisor"]
            here = [world.server.client("supervisor") for _ in range(10)]
            there = [
                httpx.AsyncClient(
                    base_url=other_base, headers={"Authorization": f"Bearer {token}"}, timeout=30
                )
                for _ in range(10)
            ]
            clients = [x for pair in zip(here, there, strict=True) for x in pair]
            try:
                statuses = await _race(clients, numbers)
            finally:
                for other in clients:
                    await other.aclose()
        await _check_ten(c, numbers, statuses)


async def test_a_pick_between_its_two_transactions_is_not_counted_twice(world: World) -> None:
    """The writer moved the units (and counted them under the line's cap) but the pick list
    has not recorded them yet: they are off the shelves *and* still reserved. Availability
    adds them back, so no false ``negative_available`` is raised in that window."""
    from sqlalchemy import insert

    from server.db import Database
    from server.models import PostingCap

    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 5, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        line = pl["lines"][0]["id"]
        db = Database(world.server.settings.database_url)
        try:
            async with db.session(write=True) as session:  # the writer's half of a pick
                await session.execute(
                    insert(PostingCap).values(key=f"{pl['number']}:{line}", used=5, updated_seq=0)
                )
        finally:
            await db.dispose()
        body = scan(type="transfer", code=EAN_PLAIN, qty=5, location="A1", to_location="STAGE")
        assert (await ok(await c.post("/api/scans", json=body)))["status"] == "applied"
        assert await available(c, "PLAIN") == {"on_hand": 0, "reserved": 0, "available": 0}
        await ok(await c.post("/api/alerts/evaluate"))
        assert await _open_alerts(c, "negative_available") == []


async def test_a_back_order_ships_in_two_shipments(world: World) -> None:
    from tests.server.sales.test_orders import pick_all

    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 3, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 5, 10)], backorder=True)
        await pick_all(c, [number])
        await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        o = await ok(await c.post(f"/api/sales-orders/{number}/ship", json={}))
        assert (o["status"], o["shipments"], o["invoiced"]) == ("backordered", 1, 30)
        assert [(ln["shipped"], ln["backordered"], ln["reserved"]) for ln in o["lines"]] == [
            (3, 2, 0)
        ]
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["receivables"], credit["open_orders"]) == (30, 20)
        expect_error(
            await c.post(f"/api/sales-orders/{number}/deliver", json={"signed_by": "x"}),
            409,
            "invalid_state",
        )
        expect_error(
            await c.post("/api/pick-lists", json={"orders": [number]}), 409, "invalid_state"
        )

        await receive(c, EAN_PLAIN, 4, "A2")
        o = await ok(await c.post(f"/api/sales-orders/{number}/reserve"))
        assert (o["status"], o["lines"][0]["reserved"], o["lines"][0]["backordered"]) == (
            "reserved",
            2,
            0,
        )
        await pick_all(c, [number])
        o = await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        assert [p["no"] for p in o["packages"]] == [1, 2]
        o = await ok(await c.post(f"/api/sales-orders/{number}/ship", json={}))
        assert (o["status"], o["shipments"], o["invoiced"], o["lines"][0]["shipped"]) == (
            "shipped",
            2,
            50,
            5,
        )
        moves = [m for m in await ok(await c.get("/api/moves")) if m["reference"] == number]
        assert [(m["from_location"], m["to_location"], m["qty"]) for m in moves] == [
            ("STAGE", "WH1:CUSTOMER", 3),
            ("STAGE", "WH1:CUSTOMER", 2),
        ]
        assert (await available(c, "PLAIN")) | {"warehouse": None, "sku": None} == {
            "warehouse": None,
            "sku": None,
            "on_hand": 2,
            "reserved": 0,
            "available": 2,
        }
        await ok(await c.post(f"/api/sales-orders/{number}/deliver", json={"signed_by": "x"}))


async def test_cancelling_a_back_order_keeps_what_was_shipped(world: World) -> None:
    from tests.server.sales.test_orders import pick_all

    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 1, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 4, 10)], backorder=True)
        await pick_all(c, [number])
        await ok(await c.post(f"/api/sales-orders/{number}/pack", json={"packages": [{}]}))
        assert (await ok(await c.post(f"/api/sales-orders/{number}/ship", json={})))[
            "status"
        ] == "backordered"
        o = await ok(
            await c.post(f"/api/sales-orders/{number}/cancel", json={"reason": "no longer needed"})
        )
        assert (o["status"], o["invoiced"], o["lines"][0]["backordered"]) == ("shipped", 10, 0)
        history = await ok(await c.get(f"/api/sales-orders/{number}/history"))
        assert history[-1]["note"] == "back-order cancelled: no longer needed"
        credit = await ok(await c.get("/api/customers/ACME/credit"))
        assert (credit["receivables"], credit["open_orders"]) == (10, 0)
