"""Every state change of inbound documents is on the live stream: PO status, receipt opened,
each scan's progress (expected vs received), close, QC and putaway."""

from __future__ import annotations

from typing import Any

from tests.conftest import EAN_PLAIN, World, scan
from tests.server.inbound import make_po, make_supplier, ok, open_receipt, receive
from tests.server.stream.live import Stream, open_stream


async def _events(stream: Stream, wanted: int) -> list[dict[str, Any]]:
    """The next ``wanted`` document events (moves, on their own channel, are skipped)."""
    out: list[dict[str, Any]] = []
    while len(out) < wanted:
        m = await stream.recv()
        if m["type"] in ("receipt", "purchase_order"):
            out.append(m)
    return out


async def test_inbound_changes_are_pushed_live(world: World) -> None:
    srv = world.server
    async with (
        srv.client("supervisor") as sc,
        srv.client("receiver") as c,
        open_stream(srv, srv.tokens["supervisor"], warehouse="WH1") as stream,
    ):
        await stream.snapshot()
        await make_supplier(sc)
        po = (await make_po(sc, [{"sku": "PLAIN", "qty": 5, "unit_price": 2}]))["number"]
        created, confirmed = await _events(stream, 2)
        assert (created["type"], created["event"], created["status"]) == (
            "purchase_order",
            "created",
            "draft",
        )
        assert (confirmed["event"], confirmed["status"], confirmed["warehouse"]) == (
            "confirmed",
            "confirmed",
            "WH1",
        )
        number = (await open_receipt(c, code=po))["number"]
        [opened] = await _events(stream, 1)
        assert (opened["type"], opened["event"], opened["number"], opened["po"]) == (
            "receipt",
            "opened",
            number,
            po,
        )
        await ok(await receive(c, number, code=EAN_PLAIN, qty=3))
        [progress] = await _events(stream, 1)
        assert (progress["event"], progress["sku"], progress["qty"]) == ("scan", "PLAIN", 3)
        assert progress["order_lines"] == [
            {"sku": "PLAIN", "ordered": 5, "received": 3, "state": "partial"}
        ]
        await ok(await c.post(f"/api/receipts/{number}/close"))
        closed, status = await _events(stream, 2)
        assert (closed["event"], closed["short"][0]["short"]) == ("closed", 2)
        assert (status["type"], status["event"], status["status"]) == (
            "purchase_order",
            "status",
            "partially-received",
        )
        await ok(
            await c.post(
                f"/api/receipts/{number}/qc",
                json={"sku": "PLAIN", "accepted": 2, "rejected": 1, "reason": "wet"},
            )
        )
        [qc] = await _events(stream, 1)
        assert (qc["event"], qc["sku"]) == ("qc", "PLAIN")
        await ok(
            await c.post(
                f"/api/receipts/{number}/putaway", json=scan(code=EAN_PLAIN, location="A1")
            )
        )
        [put] = await _events(stream, 1)
        assert (put["event"], put["qty"], put["location"]) == ("putaway", 2, "A1")
