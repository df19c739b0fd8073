"""Receiving by scan against a purchase order: GS1 labels, two sessions, short lines at
close, the PO's status from the ledger, and every bad input refused with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error, scan, user_token
from tests.server.inbound import gs1, make_po, make_supplier, ok, on_hand, open_receipt, receive

TODAY = datetime.now(UTC).date()
FRESH = TODAY + timedelta(days=365)


async def _po(c: httpx.AsyncClient) -> str:
    await make_supplier(c)
    po = await make_po(
        c,
        [
            {"sku": "PLAIN", "qty": 10, "unit_price": 2.5},
            {"sku": "LOTTED", "qty": 20, "unit_price": 1.2},
        ],
    )
    assert po["status"] == "confirmed" and po["total"] == 49
    return str(po["number"])


async def _receipt_scans(c: httpx.AsyncClient, number: str) -> list[tuple[str, str, str, str, int]]:
    return [
        (m["kind"], m["from_location"], m["to_location"], m["sku"], m["qty"])
        for m in await ok(await c.get("/api/moves"))
        if m["reference"] == number
    ]


async def test_receive_a_po_in_two_sessions_by_gs1_scans(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        po = await _po(sc)

        # Session 1, opened by scanning the PO's barcode at the dock.
        r1 = await open_receipt(c, code=po)
        n1 = r1["number"]
        assert (r1["po"], r1["dock"], r1["status"], r1["supplier"]) == (po, "DOCK", "open", "ACME")
        label = gs1(EAN_LOT, lot="L1", expiry=FRESH, qty=8)
        got = await ok(await receive(c, n1, code=label))
        assert got["result"]["status"] == "applied"
        assert (got["result"]["product"], got["result"]["lot"], got["result"]["qty"]) == (
            "LOTTED",
            "L1",
            8,
        )
        assert got["flags"] == [] and got["warnings"] == []
        await ok(await receive(c, n1, code=EAN_PLAIN, qty=4))
        view = await ok(await c.get(f"/api/receipts/{n1}"))
        progress = {
            ln["sku"]: (ln["ordered"], ln["received"], ln["state"]) for ln in view["order_lines"]
        }
        assert progress == {"PLAIN": (10, 4, "partial"), "LOTTED": (20, 8, "partial")}
        assert [(ln["sku"], ln["lot"], ln["expiry"], ln["received"]) for ln in view["lines"]] == [
            ("LOTTED", "L1", FRESH.isoformat(), 8),
            ("PLAIN", None, None, 4),
        ]
        assert await _receipt_scans(c, n1) == [
            ("receive", "WH1:SUPPLIER", "DOCK", "LOTTED", 8),
            ("receive", "WH1:SUPPLIER", "DOCK", "PLAIN", 4),
        ]
        closed = await ok(await c.post(f"/api/receipts/{n1}/close"))
        assert closed["status"] == "closed"
        assert {s["sku"]: s["short"] for s in closed["short"]} == {"PLAIN": 6, "LOTTED": 12}
        po_now = await ok(await sc.get(f"/api/purchase-orders/{po}"))
        assert po_now["status"] == "partially-received"
        assert [(ln["sku"], ln["received"], ln["remaining"]) for ln in po_now["lines"]] == [
            ("PLAIN", 4, 6),
            ("LOTTED", 8, 12),
        ]
        expect_error(await receive(c, n1, code=EAN_PLAIN), 409, "invalid_state")

        # Session 2, by the PO's number: the rest arrives; a retried scan counts once.
        r2 = await open_receipt(c, po=po)
        n2 = r2["number"]
        first = scan(code=gs1(EAN_LOT, lot="L2", expiry=FRESH, qty=12))
        assert (await ok(await c.post(f"/api/receipts/{n2}/scans", json=first)))["result"][
            "status"
        ] == "applied"
        again = await ok(await c.post(f"/api/receipts/{n2}/scans", json=first))
        assert again["result"]["status"] == "duplicate"
        await ok(await receive(c, n2, code=EAN_PLAIN, qty=6))
        closed = await ok(await c.post(f"/api/receipts/{n2}/close"))
        assert closed["short"] == []
        progress = {
            ln["sku"]: (ln["received"], ln["received_here"]) for ln in closed["order_lines"]
        }
        assert progress == {"PLAIN": (10, 6), "LOTTED": (20, 12)}
        po_now = await ok(await sc.get(f"/api/purchase-orders/{po}"))
        assert po_now["status"] == "received"
        assert [ln["received"] for ln in po_now["lines"]] == [10, 20]
        assert po_now["receipts"] == [n1, n2]
        stock = await on_hand(c, warehouse="WH1")
        assert stock[("DOCK", "PLAIN", None)] == 10
        assert stock[("DOCK", "LOTTED", "L1")] == 8 and stock[("DOCK", "LOTTED", "L2")] == 12
        # A received PO takes no more receipts.
        expect_error(
            await c.post("/api/receipts", json={"dock": "DOCK", "po": po}), 409, "invalid_state"
        )


async def _snapshot(c: httpx.AsyncClient, number: str) -> tuple[object, ...]:
    moves = await ok(await c.get("/api/moves"))
    view = await ok(await c.get(f"/api/receipts/{number}"))
    return (await on_hand(c), len(moves), view["lines"], view["order_lines"])


async def test_bad_receiving_scans_are_refused_and_write_nothing(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        po = await _po(sc)
        number = (await open_receipt(c, code=po))["number"]
        await ok(await receive(c, number, code=EAN_PLAIN, qty=10))
        yesterday = TODAY - timedelta(days=1)
        # A lot already known with an expiry that has passed (received before, elsewhere).
        known = scan(
            type="receive", code=EAN_LOT, lot="PAST", expiry=yesterday.isoformat(), location="A1"
        )
        assert (await ok(await sc.post("/api/scans", json=known)))["status"] == "applied"
        before = await _snapshot(c, number)
        cases = [
            ({"code": EAN_PLAIN, "qty": 0}, 422, "invalid_quantity"),
            ({"code": EAN_PLAIN, "qty": -2}, 422, "invalid_quantity"),
            ({"code": EAN_LOT, "qty": 2}, 422, "lot_required"),  # lot-tracked, no lot
            ({"code": gs1(EAN_LOT, lot="OLD", expiry=yesterday, qty=2)}, 409, "lot_expired"),
            ({"code": EAN_LOT, "lot": "OLD", "expiry": yesterday.isoformat()}, 409, "lot_expired"),
            ({"code": EAN_LOT, "lot": "PAST", "qty": 1}, 409, "lot_expired"),  # its known expiry
            ({"code": "]C1010400638133393117261345" + "10BAD"}, 422, "invalid_code"),  # month 13
            ({"code": EAN_LOT, "lot": "X", "expiry": "2027-13-01"}, 422, "validation_error"),
            ({"code": EAN_SERIAL, "lot": "SN1"}, 409, "unexpected_item"),  # not on the PO
            ({"code": EAN_PLAIN, "qty": 1}, 409, "over_receipt"),  # 10 + 1 > 10 x 1.05
            ({"code": "LOC-A1"}, 422, "not_an_item"),
            ({"code": "NO-SUCH-THING"}, 422, "unknown_code"),
            ({"code": EAN_PLAIN, "qty": True}, 422, "validation_error"),
        ]
        for body, status, code in cases:
            err = expect_error(await receive(c, number, **body), status, code)
            if code == "over_receipt":
                assert "10.5" in err["message"], err
        assert await _snapshot(c, number) == before
        lot_rows = await ok(await sc.get("/api/stock", params={"lot": "OLD"}))
        assert lot_rows == []

        # Within the tolerance: accepted, flagged.
        within = await ok(await receive(c, number, code=EAN_PLAIN, qty=0.5))
        assert (
            within["flags"] == ["over_receipt"] and "within the tolerance" in within["warnings"][0]
        )
        view = await ok(await c.get(f"/api/receipts/{number}"))
        plain = next(ln for ln in view["order_lines"] if ln["sku"] == "PLAIN")
        assert (plain["received"], plain["state"], plain["over_tolerance"]) == (10.5, "over", False)
        assert next(ln for ln in view["lines"] if ln["sku"] == "PLAIN")["flags"] == ["over_receipt"]


async def test_receipts_against_documents_that_cannot_be_received(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        await make_supplier(sc)
        draft = await make_po(sc, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}], confirm=False)
        cancelled = await make_po(sc, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}])
        await ok(await sc.post(f"/api/purchase-orders/{cancelled['number']}/cancel"))
        closed = await make_po(sc, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}])
        receipts_before = await ok(await c.get("/api/receipts"))
        for po in (draft, cancelled):
            expect_error(
                await c.post("/api/receipts", json={"dock": "DOCK", "code": po["number"]}),
                409,
                "invalid_state",
            )
        # A receipt opened, then the PO closed by hand meanwhile: its scans are refused.
        number = (await open_receipt(c, po=closed["number"]))["number"]
        expect_error(
            await sc.post(f"/api/purchase-orders/{closed['number']}/close"), 409, "invalid_state"
        )
        await ok(await c.post(f"/api/receipts/{number}/close"))  # nothing received: cancelled
        assert (await ok(await c.get(f"/api/receipts/{number}")))["status"] == "cancelled"
        await ok(await sc.post(f"/api/purchase-orders/{closed['number']}/close"))
        expect_error(
            await c.post("/api/receipts", json={"dock": "DOCK", "po": closed["number"]}),
            409,
            "invalid_state",
        )
        for body, status, code in (
            ({"dock": "A1", "po": draft["number"]}, 422, "invalid_location"),  # a bin
            ({"dock": "NOPE"}, 422, "unknown_location"),
            ({"dock": "DOCK", "code": EAN_PLAIN}, 422, "invalid_code"),  # not a PO
            ({"dock": "DOCK", "po": "PO-999999"}, 404, "not_found"),
            (
                {"dock": "DOCK", "po": draft["number"], "code": closed["number"]},
                422,
                "validation_error",
            ),
            ({"dock": "DOCK", "supplier": "NOBODY"}, 404, "not_found"),
        ):
            expect_error(await c.post("/api/receipts", json=body), status, code)
        async with world.server.client("picker") as pc:
            expect_error(await pc.post("/api/receipts", json={"dock": "DOCK"}), 403, "forbidden")
        token = await user_token(world.server, "wh2-receiver", "receiver", "WH2")
        async with world.server.client(token) as wc:
            expect_error(await wc.post("/api/receipts", json={"dock": "DOCK"}), 403, "forbidden")
            expect_error(await wc.get(f"/api/receipts/{number}"), 404, "not_found")
            expect_error(await receive(wc, number, code=EAN_PLAIN), 404, "not_found")
        after = await ok(await c.get("/api/receipts"))
        assert len(after) == len(receipts_before) + 1


async def test_a_dock_device_receives_at_its_own_dock(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("device") as dc:
        po = await _po(sc)
        receipt = await ok(await dc.post("/api/receipts", json={"code": po}), 201)
        assert receipt["dock"] == "DOCK"
        got = await ok(await receive(dc, receipt["number"], code=EAN_PLAIN, qty=2))
        assert (got["result"]["status"], got["result"]["location"]) == ("applied", "DOCK")
        moves = [
            m for m in await ok(await sc.get("/api/moves")) if m["reference"] == receipt["number"]
        ]
        assert [(m["device_id"] is not None, m["user_id"], m["qty"]) for m in moves] == [
            (True, None, 2)
        ]


async def test_serial_numbers_are_received_one_by_one_and_once(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        await make_supplier(sc)
        po = (await make_po(sc, [{"sku": "SERIAL", "qty": 2, "unit_price": 99}]))["number"]
        number = (await open_receipt(c, code=po))["number"]
        await ok(await receive(c, number, code=EAN_SERIAL, lot="SN-1"))
        expect_error(await receive(c, number, code=EAN_SERIAL, lot="SN-1"), 409, "serial_in_stock")
        expect_error(
            await receive(c, number, code=EAN_SERIAL, lot="SN-2", qty=2), 422, "invalid_quantity"
        )
        expect_error(await receive(c, number, code=EAN_SERIAL), 422, "lot_required")
        await ok(await receive(c, number, code=EAN_SERIAL, lot="SN-2"))
        view = await ok(await c.post(f"/api/receipts/{number}/close"))
        assert [(ln["lot"], ln["received"]) for ln in view["lines"]] == [("SN-1", 1), ("SN-2", 1)]
        assert view["short"] == [] and view["order_lines"][0]["state"] == "received"
