"""Inter-warehouse transfers: ship by scan into transit, receive by scan at the other
warehouse, a short receipt flagged and written off — all in the ledger."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error, scan


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def on_hand(c: httpx.AsyncClient, **params: Any) -> dict[tuple[str, str, str | None], Any]:
    rows = await ok(await c.get("/api/stock", params={"include_virtual": "true", **params}))
    return {(r["location"], r["sku"], r["lot"]): r["qty"] for r in rows}


async def test_a_short_receipt_is_flagged_and_written_off(world: World) -> None:
    async with world.server.client("supervisor") as c:
        for body in (
            scan(type="receive", code=EAN_PLAIN, qty=10, location="A1"),
            scan(type="receive", code=EAN_LOT, lot="L1", qty=4, location="A1"),
        ):
            assert (await c.post("/api/scans", json=body)).json()["status"] == "applied"
        t = await ok(
            await c.post(
                "/api/transfers",
                json={
                    "from_warehouse": "WH1",
                    "to_warehouse": "WH2",
                    "lines": [{"sku": "PLAIN", "qty": 6}],
                },
            ),
            201,
        )
        number = t["number"]
        assert (t["status"], t["lines"][0]["planned"], t["lines"][0]["shipped"]) == ("open", 6, 0)
        expect_error(
            await c.post(
                f"/api/transfers/{number}/receive", json=scan(code=EAN_PLAIN, location="B1")
            ),
            409,
            "invalid_state",
        )
        ship = await ok(
            await c.post(
                f"/api/transfers/{number}/ship", json=scan(code=EAN_PLAIN, qty=6, location="A1")
            )
        )
        assert (ship["status"], ship["on_hand"]) == ("applied", 4)
        await ok(
            await c.post(
                f"/api/transfers/{number}/ship", json=scan(code=EAN_LOT, qty=4, location="A1")
            )
        )
        expect_error(
            await c.post(
                f"/api/transfers/{number}/ship", json=scan(code=EAN_PLAIN, qty=5, location="A1")
            ),
            409,
            "insufficient_stock",
        )
        stock = await on_hand(c)
        assert stock[("WH1:TRANSIT", "PLAIN", None)] == 6
        assert stock[("WH1:TRANSIT", "LOTTED", "L1")] == 4
        assert await on_hand(c, include_virtual="false") == {("A1", "PLAIN", None): 4}
        await ok(await c.post(f"/api/transfers/{number}/dispatch"))

        # At WH2: 5 of 6 PLAIN arrive, and the lot (named by the transfer, not the scan).
        r = await ok(
            await c.post(
                f"/api/transfers/{number}/receive", json=scan(code=EAN_PLAIN, qty=5, location="B1")
            )
        )
        assert (r["status"], r["location"], r["on_hand"]) == ("applied", "B1", 5)
        await ok(
            await c.post(
                f"/api/transfers/{number}/receive",
                json=scan(code=EAN_LOT, qty=4, location="LOC-B1"),
            )
        )
        err = expect_error(
            await c.post(
                f"/api/transfers/{number}/receive", json=scan(code=EAN_PLAIN, qty=2, location="B1")
            ),
            409,
            "over_receipt",
        )
        assert "1 of PLAIN" in err["message"]
        expect_error(
            await c.post(
                f"/api/transfers/{number}/receive", json=scan(code=EAN_PLAIN, location="A2")
            ),
            422,
            "invalid_location",
        )
        done = await ok(await c.post(f"/api/transfers/{number}/complete"))
        assert (done["status"], done["discrepancy"]) == ("discrepancy", True)
        got = {
            (ln["sku"], ln["lot"]): (ln["shipped"], ln["received"], ln["short"])
            for ln in done["lines"]
        }
        assert got == {("PLAIN", None): (6, 5, 1), ("LOTTED", "L1"): (4, 4, 0)}

        stock = await on_hand(c)
        assert stock.get(("WH1:TRANSIT", "PLAIN", None)) is None  # nothing left in transit
        assert stock[("B1", "PLAIN", None)] == 5 and stock[("B1", "LOTTED", "L1")] == 4
        assert stock[("WH1:LOSS", "PLAIN", None)] == 1
        moves = [m for m in await ok(await c.get("/api/moves")) if m["reference"] == number]
        got_moves = [
            (m["warehouse"], m["from_location"], m["to_location"], m["sku"], m["qty"])
            for m in moves
        ]
        assert got_moves == [
            ("WH1", "A1", "WH1:TRANSIT", "PLAIN", 6),
            ("WH1", "A1", "WH1:TRANSIT", "LOTTED", 4),
            ("WH2", "WH1:TRANSIT", "B1", "PLAIN", 5),
            ("WH2", "WH1:TRANSIT", "B1", "LOTTED", 4),
            ("WH1", "WH1:TRANSIT", "WH1:LOSS", "PLAIN", 1),
        ]
        assert moves[-1]["reason"].startswith("transfer shortage")
        assert sum((await on_hand(c)).values()) == 0  # double entry across warehouses
        expect_error(await c.post(f"/api/transfers/{number}/complete"), 409, "invalid_state")


async def test_a_transfer_between_bins_is_one_scan(world: World) -> None:
    async with world.server.client("picker") as c, world.server.client("receiver") as rc:
        await rc.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=3, location="A1"))
        r = await ok(
            await c.post(
                "/api/scans",
                json=scan(type="transfer", code=EAN_PLAIN, qty=2, location="A1", to_location="A2"),
            )
        )
        assert (r["on_hand"], r["to_on_hand"]) == (1, 2)


async def test_docks_racing_on_one_transfer_receive_what_it_shipped_and_no_more(
    world: World,
) -> None:
    """Two transfers share WH1's in-transit location: concurrent receipts of one may take
    exactly what it shipped, never the other's goods (the cap is checked by the writer)."""
    async with world.server.client("supervisor") as c:
        await ok(
            await c.post(
                "/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=6, location="A1")
            )
        )
        numbers = []
        for _ in range(2):
            t = await ok(
                await c.post(
                    "/api/transfers", json={"from_warehouse": "WH1", "to_warehouse": "WH2"}
                ),
                201,
            )
            numbers.append(t["number"])
            ship = scan(code=EAN_PLAIN, qty=3, location="A1")
            await ok(await c.post(f"/api/transfers/{t['number']}/ship", json=ship))
            await ok(await c.post(f"/api/transfers/{t['number']}/dispatch"))
        first, second = numbers
        replies = await asyncio.gather(
            *(
                c.post(f"/api/transfers/{first}/receive", json=scan(code=EAN_PLAIN, location="B1"))
                for _ in range(8)
            )
        )
        statuses = sorted(
            r.json()["status"] if r.status_code == 200 else r.json()["error"]["code"]
            for r in replies
        )
        assert statuses == ["applied"] * 3 + ["over_receipt"] * 5, statuses
        stock = await on_hand(c)
        assert stock[("B1", "PLAIN", None)] == 3
        assert stock[("WH1:TRANSIT", "PLAIN", None)] == 3  # the second transfer's, untouched
        t2 = await ok(await c.get(f"/api/transfers/{second}"))
        assert t2["lines"][0]["shipped"] == 3 and t2["lines"][0]["received"] == 0
