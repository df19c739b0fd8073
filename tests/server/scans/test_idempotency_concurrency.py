"""Exactly-once effect under replays and races; no oversell under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from tests.conftest import EAN_PLAIN, World, scan, start_server


async def test_replay_returns_the_original_result_and_changes_nothing(world: World) -> None:
    async with world.server.client("supervisor") as c:
        first = scan(type="receive", code=EAN_PLAIN, qty=4, location="A1")
        original = (await c.post("/api/scans", json=first)).json()
        await c.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=1, location="A1"))
        replay = (await c.post("/api/scans", json=first)).json()
        assert replay["status"] == "duplicate"
        assert {**replay, "status": "applied"} == original  # on_hand as it was then: 4
        listed = (await c.post("/api/scans", json=[first, first])).json()
        assert [x["status"] for x in listed] == ["duplicate", "duplicate"]
        # Even with another payload, an event_id is applied once.
        other = {**first, "qty": 100}
        assert (await c.post("/api/scans", json=other)).json()["status"] == "duplicate"
        assert len((await c.get("/api/moves")).json()) == 2
        stock = (await c.get("/api/stock")).json()
        assert [s["qty"] for s in stock] == [5]


async def test_duplicates_within_one_list_apply_once(world: World) -> None:
    s = scan(type="receive", code=EAN_PLAIN, qty=2, location="A1")
    async with world.server.client("supervisor") as c:
        got = (await c.post("/api/scans", json=[s, s, s])).json()
        assert [x["status"] for x in got] == ["applied", "duplicate", "duplicate"]
        assert len((await c.get("/api/moves")).json()) == 1


async def test_replay_racing_the_original_applies_once(world: World) -> None:
    s = scan(type="receive", code=EAN_PLAIN, qty=1, location="A1")
    clients = [world.server.client("supervisor") for _ in range(20)]
    try:
        replies = await asyncio.gather(*(c.post("/api/scans", json=s) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    statuses = Counter(r.json()["status"] for r in replies)
    assert statuses == {"applied": 1, "duplicate": 19}
    assert {r.json()["seq"] for r in replies} == {1}


async def test_fifty_concurrent_picks_of_ten_units_sell_exactly_ten(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=10, location="A1")
        )
        assert r.status_code == 200
    clients = [world.server.client("picker") for _ in range(50)]
    try:
        replies = await asyncio.gather(
            *(
                c.post("/api/scans", json=scan(type="pick", code=EAN_PLAIN, qty=1, location="A1"))
                for c in clients
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    codes = Counter(r.status_code for r in replies)
    assert codes == {200: 10, 409: 40}
    assert all(
        r.json()["error"]["code"] == "insufficient_stock" for r in replies if r.status_code == 409
    )
    async with world.server.client("supervisor") as c:
        assert (await c.get("/api/stock", params={"location": "A1"})).json() == []


async def test_two_server_processes_never_oversell_or_double_apply(world: World) -> None:
    """A second server on the same database (as behind a load balancer)."""
    second, task, host = await start_server(world.server.settings)
    try:
        a = world.server.client("supervisor")
        b = world.server.client("supervisor", base_url=f"http://{host}")
        async with a, b:
            r = await a.post(
                "/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=7, location="A1")
            )
            assert r.status_code == 200
            picks = [scan(type="pick", code=EAN_PLAIN, qty=1, location="A1") for _ in range(20)]
            replays = picks[:5]  # the same events sent to both servers
            calls = [(a if i % 2 else b).post("/api/scans", json=p) for i, p in enumerate(picks)]
            calls += [(b if i % 2 else a).post("/api/scans", json=p) for i, p in enumerate(replays)]
            replies = await asyncio.gather(*calls)
            applied = {r.json()["event_id"] for r in replies if r.json()["status"] == "applied"}
            assert len(applied) == 7
            moves = (await b.get("/api/moves")).json()
            assert [m["seq"] for m in moves] == list(range(1, 9))
            assert len({m["event_id"] for m in moves}) == 8
            assert (await a.get("/api/stock", params={"location": "A1"})).json() == []
    finally:
        second.should_exit = True
        await asyncio.wait_for(task, 15)


async def test_event_ids_are_case_insensitive_uuids(world: World) -> None:
    eid = str(uuid.uuid4())
    async with world.server.client("supervisor") as c:
        r1 = await c.post(
            "/api/scans",
            json={"event_id": eid, "type": "receive", "code": EAN_PLAIN, "location": "A1"},
        )
        r2 = await c.post(
            "/api/scans",
            json={"event_id": eid.upper(), "type": "receive", "code": EAN_PLAIN, "location": "A1"},
        )
        assert (r1.json()["status"], r2.json()["status"]) == ("applied", "duplicate")
