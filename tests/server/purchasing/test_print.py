"""The printable PO: print-ready HTML whose Code128 barcode, rendered by Chromium, scans
back as the PO's number (with jxc's own decoder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.decode import decode
from tests.conftest import World, expect_error
from tests.pwa.browser import chromium, require_chromium
from tests.server.inbound import make_po, make_supplier


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_printed_po_shows_its_lines_and_its_barcode_scans(
    world: World, tmp_path: Path
) -> None:
    async with world.server.client("supervisor") as c:
        await make_supplier(
            c, address="88 Harbour Rd, Ningbo", payment_terms="30 days net", currency="CNY"
        )
        po = await make_po(
            c,
            [
                {"sku": "PLAIN", "qty": 12, "unit_price": 3.5, "expected_date": "2030-02-01"},
                {"sku": "LOTTED", "qty": 4.5, "unit_price": 10},
            ],
            note="Deliver <before> noon",
        )
        number = po["number"]
        r = await c.get(f"/api/purchase-orders/{number}/print")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        page = r.text
        for text in (number, "ACME Trading", "88 Harbour Rd", "30 days net"):
            assert text in page
        assert "<svg" in page and "<?xml" not in page
        assert "<td class=k>PLAIN</td>" in page and ">42.00</td>" in page and ">4.5</td>" in page
        assert "Deliver &lt;before&gt; noon" in page  # escaped, never markup
        assert ">87.00</td>" in page  # total: 12 x 3.5 + 4.5 x 10
        expect_error(await c.get("/api/purchase-orders/PO-999999/print"), 404, "not_found")
    async with world.server.client(None) as anon:
        url = f"/api/purchase-orders/{number}/print"
        expect_error(await anon.get(url), 401, "not_authenticated")
        expect_error(await anon.get(url, params={"token": "forged"}), 401, "not_authenticated")
        token = world.server.tokens["receiver"]  # a browser tab: the token in the URL
        assert number in (await anon.get(url, params={"token": token})).text

    require_chromium()
    async with chromium() as browser:
        ctx = await browser.new_context(
            viewport={"width": 900, "height": 1200},
            extra_http_headers={"Authorization": f"Bearer {world.server.tokens['supervisor']}"},
        )
        tab = await ctx.new_page()
        await tab.goto(f"{world.server.base_url}/api/purchase-orders/{number}/print")
        shot = tmp_path / "po.png"
        await tab.screenshot(path=shot, full_page=True)
        await ctx.close()
    reads = decode(shot.read_bytes())
    assert [(r.symbology, r.text) for r in reads] == [("Code128", number)]
