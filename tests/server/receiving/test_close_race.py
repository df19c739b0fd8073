"""A scan checked just before its receipt closed still posts (the ledger has it): recording
it brings the PO's status up to date, so the close never leaves it behind the ledger."""

from __future__ import annotations

import uuid

from server.deps import AppState
from server.receiving.schemas import ReceiptScanIn
from server.receiving.service import ReceivingFlow
from tests.conftest import EAN_PLAIN, World
from tests.server.inbound import make_po, make_supplier, ok, open_receipt, receive


async def test_a_scan_racing_the_close_updates_the_po_status(world: World) -> None:
    async with world.server.client("supervisor") as sc, world.server.client("receiver") as c:
        await make_supplier(sc)
        po = (await make_po(sc, [{"sku": "PLAIN", "qty": 5, "unit_price": 1}]))["number"]
        number = (await open_receipt(c, po=po))["number"]
        await ok(await receive(c, number, code=EAN_PLAIN, qty=2))

        state: AppState = world.server.app.state.jxc
        who = await state.auth.principal(world.server.tokens["receiver"])
        flow = ReceivingFlow(state.db, state.writer, state.hub.publish_events, who, state.settings)
        data = ReceiptScanIn(event_id=uuid.uuid4(), code=EAN_PLAIN, qty=3)
        async with state.db.session() as session:
            plan = await flow._service(session).plan_scan(number, data)  # checked: open
        closed = await ok(await c.post(f"/api/receipts/{number}/close"))  # meanwhile
        assert closed["status"] == "closed"
        assert (await ok(await sc.get(f"/api/purchase-orders/{po}")))["status"] == (
            "partially-received"
        )
        result = await flow._post(plan.item)
        assert result.status == "applied"
        async with state.db.session(write=True) as session:
            changed = await flow._service(session).record_scan(plan, result)
        assert changed is not None and changed.status == "received"
        got = await ok(await sc.get(f"/api/purchase-orders/{po}"))
        assert (got["status"], got["lines"][0]["received"]) == ("received", 5)
