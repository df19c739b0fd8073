"""What each scan type does to stock, and how codes and locations are resolved."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, scan


async def post(c: httpx.AsyncClient, body: Any) -> dict[str, Any]:
    r = await c.post("/api/scans", json=body)
    assert r.status_code in (200, 403, 409, 422), r.text
    return r.json()  # type: ignore[no-any-return]


async def stock(c: httpx.AsyncClient, **params: str) -> dict[tuple[str, str, str | None], Any]:
    r = await c.get("/api/stock", params=params)
    r.raise_for_status()
    return {(s["location"], s["sku"], s["lot"]): s["qty"] for s in r.json()}


async def test_each_scan_type_moves_stock_between_the_right_locations(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await post(c, scan(type="receive", code=EAN_PLAIN, qty=10, location="A1"))
        assert (r["status"], r["product"], r["location"], r["on_hand"]) == (
            "applied",
            "PLAIN",
            "A1",
            10,
        )
        r = await post(c, scan(type="pick", code=EAN_PLAIN, qty=3, location="A1"))
        assert r["on_hand"] == 7
        r = await post(
            c, scan(type="pick", code=EAN_PLAIN, qty=2, location="A1", to_location="STAGE")
        )
        assert (r["on_hand"], r["to_location"], r["to_on_hand"]) == (5, "STAGE", 2)
        r = await post(
            c, scan(type="transfer", code=EAN_PLAIN, qty=1, location="A1", to_location="A2")
        )
        assert (r["on_hand"], r["to_on_hand"]) == (4, 1)
        r = await post(c, scan(type="count", code=EAN_PLAIN, qty=6, location="A1"))
        assert (r["on_hand"], r["variance"]) == (6, 2)
        r = await post(c, scan(type="count", code=EAN_PLAIN, qty=6, location="A1"))
        assert (r["status"], r["seq"], r["variance"]) == ("applied", None, 0)
        r = await post(
            c, scan(type="adjust", code=EAN_PLAIN, qty=-1.5, location="A1", reason="damaged")
        )
        assert r["on_hand"] == 4.5
        r = await post(
            c, scan(type="adjust", code=EAN_PLAIN, qty=-0.5, location="A1", reason="scrap: torn")
        )
        assert r["on_hand"] == 4

        moves = (await c.get("/api/moves")).json()
        got = [(m["kind"], m["from_location"], m["to_location"], m["qty"]) for m in moves]
        assert got == [
            ("receive", "WH1:SUPPLIER", "A1", 10),
            ("pick", "A1", "WH1:CUSTOMER", 3),
            ("pick", "A1", "STAGE", 2),
            ("transfer", "A1", "A2", 1),
            ("count", "WH1:LOSS", "A1", 2),
            ("adjust", "A1", "WH1:LOSS", 1.5),
            ("adjust", "A1", "WH1:SCRAP", 0.5),
        ]
        assert [m["seq"] for m in moves] == list(range(1, 8))
        assert await stock(c) == {
            ("A1", "PLAIN", None): 4,
            ("A2", "PLAIN", None): 1,
            ("STAGE", "PLAIN", None): 2,
        }
        everything = await stock(c, include_virtual="true")
        assert sum(everything.values()) == 0  # double entry


async def test_codes_resolve_by_barcode_gtin14_sku_and_location_barcode(world: World) -> None:
    async with world.server.client("receiver") as c:
        for code in (EAN_PLAIN, "0" + EAN_PLAIN, "INT-PLAIN", "PLAIN", "]E0" + EAN_PLAIN):
            r = await post(c, scan(type="receive", code=code, location="LOC-A1"))
            assert (r["status"], r["product"], r["location"]) == ("applied", "PLAIN", "A1"), code
        assert r["on_hand"] == 5


async def test_gs1_label_creates_lot_with_expiry_and_sets_quantity(world: World) -> None:
    gs1 = "]C101" + "0" + EAN_LOT + "10LOT-7\x1d17271231" + "3012"
    async with world.server.client("receiver") as c:
        r = await post(c, scan(type="receive", code=gs1, location="A1"))
        assert (r["status"], r["product"], r["lot"], r["on_hand"]) == (
            "applied",
            "LOTTED",
            "LOT-7",
            12,
        )
        hri = f"(01)0{EAN_LOT}(10)LOT-8(17)280630"
        r = await post(c, scan(type="receive", code=hri, location="A1", qty=3))
        assert (r["lot"], r["on_hand"]) == ("LOT-8", 3)  # an explicit qty wins over AI 30
        rows = (await c.get("/api/stock", params={"sku": "LOTTED"})).json()
        assert {(s["lot"], s["expiry"], s["qty"]) for s in rows} == {
            ("LOT-7", "2027-12-31", 12),
            ("LOT-8", "2028-06-30", 3),
        }


async def test_pick_without_lot_takes_the_only_lot_at_the_location(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await post(c, scan(type="receive", code=EAN_LOT, lot="L1", qty=4, location="A1"))
        r = await post(c, scan(type="pick", code=EAN_LOT, location="A1"))
        assert (r["status"], r["lot"], r["on_hand"]) == ("applied", "L1", 3)
        await post(c, scan(type="receive", code=EAN_LOT, lot="L2", qty=4, location="A1"))
        r = await post(c, scan(type="pick", code=EAN_LOT, location="A1"))
        assert r["error"]["code"] == "lot_required"


async def test_serial_numbers_are_unique_in_stock(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await post(c, scan(type="receive", code=EAN_SERIAL, lot="SN1", location="A1"))
        assert r["status"] == "applied"
        r = await post(c, scan(type="receive", code=EAN_SERIAL, lot="SN1", location="A2"))
        assert r["error"]["code"] == "serial_in_stock"
        r = await post(
            c, scan(type="transfer", code=EAN_SERIAL, lot="SN1", location="A1", to_location="A2")
        )
        assert r["status"] == "applied"
        r = await post(c, scan(type="receive", code=EAN_SERIAL, lot="SN2", qty=2, location="A1"))
        assert r["error"]["code"] == "invalid_quantity"
        await post(c, scan(type="pick", code=EAN_SERIAL, lot="SN1", location="A2"))
        r = await post(c, scan(type="receive", code=EAN_SERIAL, lot="SN1", location="A1"))
        assert r["status"] == "applied"  # sold, returned: in stock once again


async def test_device_binding_fills_type_and_location(world: World) -> None:
    async with world.server.client("device") as c:
        r = await post(c, scan(code=EAN_PLAIN, qty=2))
        assert (r["status"], r["type"], r["location"]) == ("applied", "receive", "DOCK")
        r = await post(c, scan(type="pick", code=EAN_PLAIN, location="DOCK"))
        assert r["error"]["code"] == "forbidden"
        r = await post(c, scan(code=EAN_PLAIN, location="B1"))  # another warehouse
        assert r["error"]["code"] == "forbidden"
        moves = (await c.get("/api/moves")).json()
        assert [m["device_id"] is not None for m in moves] == [True]
    async with world.server.client("admin") as c:
        devices = (await c.get("/api/devices")).json()
        assert devices[0]["name"] == "dock-1" and devices[0]["last_seen_at"] is not None


async def test_a_list_is_applied_in_order_and_one_rejection_undoes_nothing(world: World) -> None:
    batch = [
        scan(type="receive", code=EAN_PLAIN, qty=2, location="A1"),
        scan(type="pick", code=EAN_PLAIN, qty=5, location="A1"),  # rejected: only 2
        {"event_id": "not-a-uuid", "code": "x"},
        scan(type="pick", code=EAN_PLAIN, qty=2, location="A1"),
    ]
    async with world.server.client("supervisor") as c:
        r = await c.post("/api/scans", json=batch)
        assert r.status_code == 200
        got = [(x["status"], (x["error"] or {}).get("code")) for x in r.json()]
        assert got == [
            ("applied", None),
            ("rejected", "insufficient_stock"),
            ("rejected", "invalid_event_id"),
            ("applied", None),
        ]
        assert [x["event_id"] for x in r.json()] == [b["event_id"] for b in batch]
        assert len((await c.get("/api/moves")).json()) == 2


async def test_a_rejected_scan_does_not_set_a_lots_expiry(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await post(c, scan(type="receive", code=EAN_LOT, lot="L9", location="A1"))
        r = await post(
            c, scan(type="pick", code=EAN_LOT, lot="L9", qty=5, location="A1", expiry="2031-01-01")
        )
        assert r["error"]["code"] == "insufficient_stock"
        rows = (await c.get("/api/stock", params={"sku": "LOTTED"})).json()
        assert [(x["lot"], x["expiry"]) for x in rows] == [("L9", None)]
        await post(
            c, scan(type="receive", code=EAN_LOT, lot="L9", location="A1", expiry="2030-01-01")
        )
        rows = (await c.get("/api/stock", params={"sku": "LOTTED"})).json()
        assert [(x["lot"], x["expiry"], x["qty"]) for x in rows] == [("L9", "2030-01-01", 2)]
