"""A supplier's scorecard against figures computed by hand.

ACME (all dates relative to today, D; both POs are confirmed on D):
- PO1: PLAIN 10 expected D+2, LOTTED 20 expected D+2. Receipt R1 scanned on D+1: PLAIN 10,
  LOTTED 15 (lot L1); QC of L1 rejects 3. PO1 is then closed short.
- PO2: PLAIN 5 expected D+1. Receipt R2 scanned on D+4: PLAIN 5 (late).
- A free receipt R3 from ACME (no PO): PLAIN 10. A cancelled PO3 counts nowhere.

Deliveries (receipt, PO line): R1/PLAIN on time, R1/LOTTED on time, R2/PLAIN late:
  on-time rate 2/3 = 0.6667.
Fill rate, finished POs (PO1 closed, PO2 received): (10 + 15 + 5) / (10 + 20 + 5) = 30/35
  = 0.8571.
Quality: received on closed receipts 25 + 5 + 10 = 40, rejected 3: 37/40 = 0.925.
Lead time, confirmation -> delivery: 1, 1, 4 days: 2.0.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tests.conftest import EAN_LOT, EAN_PLAIN, World
from tests.server.inbound import make_po, make_supplier, ok, open_receipt, receive

D = datetime.now(UTC).date()


def on(day: int) -> str:
    return datetime.combine(D + timedelta(days=day), time(10, 0), tzinfo=UTC).isoformat()


async def test_scorecard_figures_match_hand_computed_values(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        await make_supplier(sc)
        expected_d2 = (D + timedelta(days=2)).isoformat()
        po1 = (
            await make_po(
                sc,
                [
                    {"sku": "PLAIN", "qty": 10, "unit_price": 1},
                    {"sku": "LOTTED", "qty": 20, "unit_price": 1},
                ],
                expected_date=expected_d2,
            )
        )["number"]
        po2 = (
            await make_po(
                sc,
                [
                    {
                        "sku": "PLAIN",
                        "qty": 5,
                        "unit_price": 1,
                        "expected_date": (D + timedelta(days=1)).isoformat(),
                    }
                ],
            )
        )["number"]
        po3 = (await make_po(sc, [{"sku": "PLAIN", "qty": 7, "unit_price": 1}]))["number"]
        await ok(await sc.post(f"/api/purchase-orders/{po3}/cancel"))

        r1 = (await open_receipt(c, po=po1))["number"]
        await ok(await receive(c, r1, code=EAN_PLAIN, qty=10, scanned_at=on(1)))
        await ok(await receive(c, r1, code=EAN_LOT, lot="L1", qty=15, scanned_at=on(1)))
        await ok(await c.post(f"/api/receipts/{r1}/close"))
        qc = {"sku": "LOTTED", "lot": "L1", "accepted": 12, "rejected": 3, "reason": "leaking"}
        await ok(await c.post(f"/api/receipts/{r1}/qc", json=qc))
        await ok(await sc.post(f"/api/purchase-orders/{po1}/close"))

        r2 = (await open_receipt(c, po=po2))["number"]
        await ok(await receive(c, r2, code=EAN_PLAIN, qty=5, scanned_at=on(4)))
        await ok(await c.post(f"/api/receipts/{r2}/close"))
        r3 = (await open_receipt(c, supplier="ACME"))["number"]
        await ok(await receive(c, r3, code=EAN_PLAIN, qty=10, scanned_at=on(2)))
        await ok(await c.post(f"/api/receipts/{r3}/close"))

        card = await ok(await sc.get("/api/suppliers/ACME/scorecard"))
        assert card == {
            "supplier": "ACME",
            "deliveries": 3,
            "on_time_deliveries": 2,
            "on_time_rate": 0.6667,
            "ordered": 35,
            "received": 30,
            "fill_rate": 0.8571,
            "received_total": 40,
            "rejected": 3,
            "quality_pass_rate": 0.925,
            "lead_time_days": 2.0,
            "purchase_orders": 2,
        }
        listed = await ok(await sc.get("/api/suppliers"))
        assert listed[0]["scorecard"] == card
        assert (await ok(await sc.get("/api/suppliers", params={"scorecard": "false"})))[0][
            "scorecard"
        ] is None


async def test_a_new_supplier_has_nothing_to_rate(world: World) -> None:
    async with world.server.client("supervisor") as sc:
        await make_supplier(sc)
        card = await ok(await sc.get("/api/suppliers/ACME/scorecard"))
        assert (card["on_time_rate"], card["fill_rate"], card["quality_pass_rate"]) == (
            None,
            None,
            None,
        )
        assert card["lead_time_days"] is None and card["deliveries"] == 0
