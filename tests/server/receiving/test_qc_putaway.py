"""Quality check (rejects to quarantine, never to sellable bins) and putaway by scanning the
bin, with suggestions in order: fixed bin, same lot, same product, empty bin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error, scan
from tests.server.inbound import gs1, make_po, make_supplier, ok, on_hand, open_receipt, receive

FRESH = datetime.now(UTC).date() + timedelta(days=400)


async def test_qc_rejects_go_to_quarantine_and_putaway_follows_the_suggestions(
    world: World,
) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        for code in ("A3", "A4"):
            r = await sc.post("/api/locations", json={"code": code, "warehouse": "WH1"})
            assert r.status_code == 201, r.text
        await ok(await sc.patch("/api/products/PLAIN", json={"default_location": "A2"}))
        assert (await ok(await sc.get("/api/products/PLAIN")))["default_location"] == "A2"
        expect_error(
            await sc.patch("/api/products/PLAIN", json={"default_location": "DOCK"}),
            422,
            "invalid_location",
        )
        # LOTTED lot L1 already lies in A3; SERIAL-free A1 holds nothing.
        await ok(
            await sc.post(
                "/api/scans",
                json=scan(type="receive", code=EAN_LOT, lot="L1", qty=1, location="A3"),
            )
        )
        await make_supplier(sc)
        po = (
            await make_po(
                sc,
                [
                    {"sku": "PLAIN", "qty": 6, "unit_price": 2},
                    {"sku": "LOTTED", "qty": 15, "unit_price": 1},
                ],
            )
        )["number"]
        number = (await open_receipt(c, code=po))["number"]
        await ok(await receive(c, number, code=gs1(EAN_LOT, lot="L1", expiry=FRESH, qty=10)))
        await ok(await receive(c, number, code=gs1(EAN_LOT, lot="L2", expiry=FRESH, qty=5)))
        await ok(await receive(c, number, code=EAN_PLAIN, qty=6))
        qc = {"sku": "LOTTED", "lot": "L1", "accepted": 7, "rejected": 3, "reason": "crushed"}
        expect_error(await c.post(f"/api/receipts/{number}/qc", json=qc), 409, "invalid_state")
        await ok(await c.post(f"/api/receipts/{number}/close"))

        for body, status, code in (
            ({**qc, "accepted": 6}, 422, "invalid_quantity"),  # 6 + 3 is not the 10 received
            ({**qc, "accepted": 11, "rejected": -1}, 422, "invalid_quantity"),
            ({**qc, "reason": None}, 422, "reason_required"),
            ({**qc, "lot": "L9"}, 404, "not_found"),
        ):
            expect_error(await c.post(f"/api/receipts/{number}/qc", json=body), status, code)
        view = await ok(await c.post(f"/api/receipts/{number}/qc", json=qc))
        line = next(ln for ln in view["lines"] if ln["lot"] == "L1")
        assert (line["qc"], line["accepted"], line["rejected"], line["reject_reason"]) == (
            "done",
            7,
            3,
            "crushed",
        )
        assert (line["received"], line["at_dock"]) == (10, 7)
        expect_error(await c.post(f"/api/receipts/{number}/qc", json=qc), 409, "invalid_state")
        await ok(
            await c.post(
                f"/api/receipts/{number}/qc",
                json={"sku": "PLAIN", "accepted": 6, "rejected": 0},
            )
        )
        stock = await on_hand(c, warehouse="WH1")
        assert stock[("WH1:QUARANTINE", "LOTTED", "L1")] == 3
        assert stock[("DOCK", "LOTTED", "L1")] == 7
        quarantine = await ok(await sc.get("/api/locations", params={"kind": "quarantine"}))
        assert [(q["code"], q["virtual"]) for q in quarantine] == [("WH1:QUARANTINE", False)]
        moves = [m for m in await ok(await c.get("/api/moves")) if m["reference"] == number]
        assert moves[-1]["from_location"] == "DOCK"
        assert moves[-1]["to_location"] == "WH1:QUARANTINE"
        assert moves[-1]["reason"] == "QC reject: crushed"

        suggestions = await ok(await c.get(f"/api/receipts/{number}/putaway"))
        got = [(s["sku"], s["lot"], s["qty"], s["location"], s["why"]) for s in suggestions]
        assert got == [
            ("LOTTED", "L1", 7, "A3", "same lot"),
            ("LOTTED", "L2", 5, "A3", "same product"),
            ("PLAIN", None, 6, "A2", "fixed bin"),
        ]
        done = await ok(
            await c.post(
                f"/api/receipts/{number}/putaway",
                json=scan(code=EAN_PLAIN, location="LOC-A2"),
            )
        )
        assert (done["result"]["to_location"], done["result"]["qty"]) == ("A2", 6)
        assert (done["suggested"], done["followed"]) == ("A2", True)
        # The bin scanned need not be the suggestion (it is reported).
        put = await ok(
            await c.post(
                f"/api/receipts/{number}/putaway",
                json=scan(code=EAN_LOT, lot="L2", qty=5, location="A4"),
            )
        )
        assert (put["suggested"], put["followed"]) == ("A3", False)
        for body, status, code in (
            (scan(code=EAN_PLAIN, location="A2"), 409, "over_receipt"),  # all put away
            (scan(code=EAN_LOT, lot="L1", qty=8, location="A3"), 409, "over_receipt"),  # 7 left
            (scan(code=EAN_LOT, lot="L1", location="STAGE"), 422, "invalid_location"),
            (scan(code=EAN_LOT, lot="L1", location="WH1:QUARANTINE"), 422, "invalid_location"),
            (scan(code=EAN_LOT, lot="L1", qty=0, location="A3"), 422, "invalid_quantity"),
        ):
            r = await c.post(f"/api/receipts/{number}/putaway", json=body)
            expect_error(r, status, code)
        # The lot-tracked item without a lot: the only one of it left at the dock (L1).
        await ok(
            await c.post(f"/api/receipts/{number}/putaway", json=scan(code=EAN_LOT, location="A3"))
        )
        stock = await on_hand(c, warehouse="WH1")
        assert stock[("A2", "PLAIN", None)] == 6
        assert stock[("A3", "LOTTED", "L1")] == 8 and stock[("A4", "LOTTED", "L2")] == 5
        assert ("DOCK", "LOTTED", "L1") not in stock and ("DOCK", "PLAIN", None) not in stock
        assert stock[("WH1:QUARANTINE", "LOTTED", "L1")] == 3  # not put away
        # Quarantined stock is never promised to a customer: only bins are sellable.
        [row] = await ok(
            await c.get("/api/availability", params={"warehouse": "WH1", "sku": "LOTTED"})
        )
        assert (row["on_hand"], row["available"]) == (13, 13)  # A3: 1 + 7, A4: 5; not the 3
        assert await ok(await c.get(f"/api/receipts/{number}/putaway")) == []
        # QC after putaway started: refused.
        expect_error(
            await c.post(
                f"/api/receipts/{number}/qc",
                json={"sku": "LOTTED", "lot": "L2", "accepted": 5, "rejected": 0},
            ),
            409,
            "invalid_state",
        )
