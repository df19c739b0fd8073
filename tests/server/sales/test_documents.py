"""Printed documents: the delivery note and the pick list render in Chromium, and their
barcodes, photographed off the page, scan back to the order and the pick list."""

from __future__ import annotations

from scanner.decode import decode
from tests.conftest import EAN_LOT, EAN_PLAIN, World, expect_error
from tests.pwa.browser import chromium, require_chromium
from tests.server.sales.flows import confirmed, customer, ok, pick, receive
from tests.server.sales.test_orders import days

SSCC = "106141411234567897"


async def screenshot(html: str) -> bytes:
    async with chromium() as browser:
        # At 3 device pixels per CSS pixel (~300 dpi): a 0.3 mm bar is 3.4 pixels, as on
        # paper; at 96 dpi it would be barely one pixel.
        page = await browser.new_page(
            viewport={"width": 900, "height": 1200}, device_scale_factor=3
        )
        await page.set_content(html)
        return await page.screenshot(full_page=True)


async def test_delivery_note_and_pick_list_scan_back(world: World) -> None:
    require_chromium()
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 10, "A1")
        await receive(c, EAN_LOT, 5, "A2", lot="LOT-42", expiry=days(60))
        await customer(c, "ACME")
        number = await confirmed(c, [("PLAIN", 2, 3), ("LOTTED", 3, 4)], promised_date=days(1))
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)
        sheet = await c.get(f"/api/pick-lists/{pl['number']}/print")
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/html")
        reads = {r.text for r in decode(await screenshot(sheet.text))}
        assert {pl["number"], "A1", "A2"} <= reads, reads  # the list and each location
        for ln in pl["lines"]:
            body = pick(ln["location"], ln["sku"], qty=ln["qty"], lot=ln["lot"])
            await ok(await c.post(f"/api/pick-lists/{pl['number']}/scans", json=body))
        await ok(
            await c.post(
                f"/api/sales-orders/{number}/pack",
                json={"packages": [{"sscc": SSCC, "weight_kg": 3.5}]},
            )
        )
        await ok(await c.post(f"/api/sales-orders/{number}/ship", json={"carrier": "SF"}))
        note = (await c.get(f"/api/sales-orders/{number}/delivery-note")).text
        for text in ("Delivery note", "ACME Trading", "LOT-42 × 3", f"SSCC {SSCC}", "3.5 kg"):
            assert text in note, text
        reads = {r.text for r in decode(await screenshot(note))}
        assert number in reads, reads
    async with world.server.client(None) as tab:  # a browser tab sends no header: ?token=
        token = world.server.tokens["supervisor"]
        for url in (
            f"/api/pick-lists/{pl['number']}/print",
            f"/api/sales-orders/{number}/delivery-note",
        ):
            assert (await tab.get(url, params={"token": token})).status_code == 200, url
            expect_error(await tab.get(url), 401, "not_authenticated")
            expect_error(await tab.get(url, params={"token": "forged"}), 401, "not_authenticated")
