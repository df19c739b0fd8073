"""The live stock page at ``/``, driven in a real browser as a supervisor would use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.conftest import EAN_LOT, EAN_PLAIN, PASSWORD, RunningServer, World, scan
from tests.pwa.browser import chromium, require_chromium

# The page is the same whatever the database: SQLite keeps these tests cheap.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Checked before the server starts, so a missing browser costs nothing."""
    require_chromium()


@pytest.fixture
async def page(server: RunningServer) -> AsyncIterator[Page]:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(server.base_url + "/")
        yield page
        await context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


async def post_scan(c: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    r = await c.post("/api/scans", json=scan(**fields))
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    assert body["status"] == "applied", body
    return body


async def sign_in(page: Page, username: str, password: str) -> None:
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


def stock_row(page: Page, location: str, sku: str, lot: str = "—") -> Locator:
    return (
        page.locator("#stock tr", has=page.locator(f'td:text-is("{location}")'))
        .filter(has=page.locator(f'td:text-is("{sku}")'))
        .filter(has=page.locator(f'td:text-is("{lot}")'))
    )


async def test_signed_in_supervisor_sees_stock_and_scans_arrive_live(
    world: World, page: Page
) -> None:
    async with world.server.client("receiver") as c:
        await post_scan(c, type="receive", code=EAN_PLAIN, qty=10, location="A1")
        await post_scan(c, type="receive", code=EAN_LOT, lot="L1", qty=4, location="A2")

    await sign_in(page, "supervisor", PASSWORD)
    await expect(page.locator("#status")).to_have_text("live", timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="Sign in")).to_be_hidden()
    plain = stock_row(page, "A1", "PLAIN")
    await expect(plain.locator("td.num")).to_have_text("10", timeout=WAIT_MS)
    await expect(stock_row(page, "A2", "LOTTED", "L1").locator("td.num")).to_have_text("4")
    await expect(page.locator("#stock tr")).to_have_count(2)
    await expect(page.locator("#feed li")).to_have_count(0)

    async with world.server.client("picker") as c:
        await post_scan(c, type="pick", code=EAN_PLAIN, qty=3, location="A1")

    await expect(plain.locator("td.num")).to_have_text("7", timeout=WAIT_MS)
    feed = page.locator("#feed li")
    await expect(feed).to_have_count(1)
    await expect(feed.first).to_contain_text("pick")
    await expect(feed.first).to_contain_text("3 × PLAIN")
    await expect(feed.first).to_contain_text("A1 → customer")

    # Emptying a location takes its line off the table; a transfer shows both ends.
    async with world.server.client("supervisor") as c:
        await post_scan(c, type="transfer", code=EAN_LOT, qty=4, location="A2", to_location="A1")
    await expect(stock_row(page, "A1", "LOTTED", "L1").locator("td.num")).to_have_text(
        "4", timeout=WAIT_MS
    )
    await expect(stock_row(page, "A2", "LOTTED", "L1")).to_have_count(0)
    await expect(feed).to_have_count(2)
    await expect(feed.first).to_contain_text("transfer")


async def test_a_wrong_password_shows_the_error_and_stays_signed_out(
    server: RunningServer, page: Page
) -> None:
    await sign_in(page, "supervisor", "not-the-password")
    error = page.locator("#login-error")
    await expect(error).to_be_visible(timeout=WAIT_MS)
    await expect(error).to_have_text("Wrong username or password.")
    await expect(page.locator("#live")).to_be_hidden()
    await expect(page.locator("#status")).to_have_text("signed out")


async def test_an_expired_session_goes_back_to_the_sign_in_form(
    server: RunningServer, page: Page
) -> None:
    await page.evaluate("sessionStorage.setItem('jxc-token', 'not-a-valid-token')")
    await page.reload()
    await expect(page.locator("#login-error")).to_contain_text("sign in again", timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await expect(page.locator("#live")).to_be_hidden()


async def test_the_filter_narrows_the_table_and_sign_out_returns_to_the_form(
    world: World, page: Page
) -> None:
    async with world.server.client("receiver") as c:
        await post_scan(c, type="receive", code=EAN_PLAIN, qty=10, location="A1")
        await post_scan(c, type="receive", code=EAN_LOT, lot="L1", qty=4, location="B1")

    await sign_in(page, "supervisor", PASSWORD)
    rows = page.locator("#stock tr")
    await expect(rows).to_have_count(2, timeout=WAIT_MS)
    await expect(stock_row(page, "A1", "PLAIN")).to_contain_text("Plain")  # the product name
    await page.get_by_label("Filter").fill("lotted")
    await expect(rows).to_have_count(1)
    await expect(stock_row(page, "B1", "LOTTED", "L1")).to_be_visible()
    await expect(page.locator("#summary")).to_contain_text("1 of 2 lines")
    await page.get_by_label("Filter").fill("nothing like this")
    await expect(rows).to_have_text(["Nothing matches the filter."])

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await expect(page.locator("#live")).to_be_hidden()
    await page.reload()  # the token is gone, not just hidden
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
