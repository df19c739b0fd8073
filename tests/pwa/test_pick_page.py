"""The handheld picking page (``/static/pick.html``), driven in a real browser as a picker
with a keyboard-wedge scanner would use it: each code typed, then Enter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from tests.conftest import EAN_PLAIN, EAN_SERIAL, PASSWORD, RunningServer, World
from tests.pwa.browser import chromium, require_chromium
from tests.server.sales.flows import confirmed, customer, ok, receive

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require_chromium()


@pytest.fixture
async def page(server: RunningServer) -> AsyncIterator[Page]:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 420, "height": 800})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(server.base_url + "/static/pick.html")
        yield page
        await context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


async def scan(page: Page, code: str, qty: str = "") -> None:
    if qty:
        await page.get_by_label("Quantity").fill(qty)
    await page.get_by_label("Scan").fill(code)
    await page.get_by_label("Scan").press("Enter")


async def test_picking_by_scan_on_the_handheld_page(world: World, page: Page) -> None:
    async with world.server.client("supervisor") as c:
        await receive(c, EAN_PLAIN, 5, "A1")
        await customer(c)
        number = await confirmed(c, [("PLAIN", 3, 1)])
        pl = await ok(await c.post("/api/pick-lists", json={"orders": [number]}), 201)

    await page.get_by_label("Username").fill("picker")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    message = page.locator("#message")

    await scan(page, EAN_PLAIN)
    await expect(message).to_have_text("Scan a pick list first (PK-…).", timeout=WAIT_MS)
    await scan(page, pl["number"])
    await expect(message).to_have_text("Go to A1.", timeout=WAIT_MS)
    await scan(page, EAN_PLAIN)
    await expect(message).to_contain_text("Scan the location first", timeout=WAIT_MS)
    await scan(page, "LOC-DOCK")  # the wrong place: the server says where to go
    await scan(page, EAN_PLAIN)
    await expect(message).to_contain_text("Nothing to pick at DOCK", timeout=WAIT_MS)
    await expect(message).to_have_class("message error")
    await scan(page, "LOC-A1")
    await scan(page, EAN_SERIAL)  # the wrong item
    await expect(message).to_contain_text("SERIAL is not on", timeout=WAIT_MS)
    await scan(page, EAN_PLAIN, qty="4")
    await expect(message).to_contain_text("needs 3 more of PLAIN", timeout=WAIT_MS)
    await scan(page, EAN_PLAIN, qty="2")
    await expect(message).to_have_text("Picked 2 × PLAIN.", timeout=WAIT_MS)
    row = page.locator("#lines tr").first
    await expect(row.locator("td").nth(5)).to_have_text("2")
    await scan(page, EAN_PLAIN)
    await expect(message).to_have_text("Picked 1 × PLAIN. The list is picked.", timeout=WAIT_MS)
    await expect(page.locator("#state")).to_have_text("picked")
    await expect(row).to_have_class("done")

    async with world.server.client("supervisor") as c:
        o = await ok(await c.get(f"/api/sales-orders/{number}"))
        assert (o["status"], o["lines"][0]["picked"]) == ("picked", 3)
