"""Screenshots of the live stock page for the docs, taken by hand (not part of the suite):

    .venv/bin/python -m tests.pwa.screenshot  # writes docs/img/sign-in.png, live-stock.png

It seeds the demo warehouse into a throwaway SQLite database, serves it on a free local
port, signs in as the demo supervisor in Debian's Chromium and posts a few scans.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

import httpx
from playwright.async_api import ViewportSize

from server.db import Database
from server.demo.seed import DEMO_PASSWORD, seed
from server.migrate import upgrade
from server.settings import Settings
from tests.conftest import start_server
from tests.pwa.browser import chromium

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORT: ViewportSize = {"width": 1200, "height": 760}


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/jxc.db"
        db = Database(url)
        await upgrade(db)
        await seed(db)
        await db.dispose()
        settings = Settings(env="dev", database_url=url, secret_key="screenshot-" + "x" * 32)
        server, task, host = await start_server(settings)
        try:
            await shoot(f"http://{host}")
        finally:
            server.should_exit = True
            await task


async def shoot(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await page.goto(base + "/")
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.screenshot(path=OUT / "sign-in.png")

        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector("#stock tr")
        async with httpx.AsyncClient(base_url=base) as c:
            r = await c.post(
                "/api/auth/token", data={"username": "supervisor", "password": DEMO_PASSWORD}
            )
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            stock = (await c.get("/api/stock")).json()
            plain = [s for s in stock if s["lot"] is None and s["qty"] >= 5]
            lotted = [s for s in stock if s["lot"] and s["qty"] >= 5]
            scans = [
                {"type": "receive", "qty": 12, "reference": "PO-1042", **at(plain[0])},
                {"type": "transfer", "qty": 4, "to_location": "C-04-02", **at(lotted[0])},
                {"type": "pick", "qty": 2, **at(plain[1])},
                {"type": "pick", "qty": 1, "to_location": "STAGE-01", **at(lotted[1])},
                {"type": "count", "qty": plain[2]["qty"] - 1, **at(plain[2])},
                {"type": "pick", "qty": 3, **at(plain[0])},
            ]
            for body in scans:
                r = await c.post("/api/scans", json={"event_id": str(uuid.uuid4()), **body})
                assert r.json()["status"] == "applied", r.text
                await asyncio.sleep(0.6)
        await page.wait_for_function(
            f"document.querySelectorAll('#feed li').length == {len(scans)}"
        )
        await page.wait_for_timeout(1500)  # let the row highlight fade
        await page.screenshot(path=OUT / "live-stock.png")
    print(f"wrote {OUT / 'sign-in.png'} and {OUT / 'live-stock.png'}")


def at(line: dict[str, object]) -> dict[str, object]:
    return {"code": line["sku"], "location": line["location"], "lot": line["lot"]}


if __name__ == "__main__":
    asyncio.run(main())
