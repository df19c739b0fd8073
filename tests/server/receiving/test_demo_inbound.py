"""The demo's inbound data works as docs/inbound.md says: the demo receiver receives the
confirmed PO at DOCK-01 by scanning its barcode and a GS1 label; SH-FOODS' licence alert."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.db import Database
from server.demo.seed import DEMO_PASSWORD, seed, with_check_digit
from server.migrate import upgrade
from server.settings import Settings
from tests.conftest import scan, start_server
from tests.server.inbound import gs1, ok


async def test_the_demo_receiver_receives_the_demo_po(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    db = Database(url)
    await upgrade(db)
    await seed(db)
    await db.dispose()
    settings = Settings(env="dev", database_url=url, secret_key="demo-test-" + "x" * 32)
    server, task, host = await start_server(settings)
    try:
        async with httpx.AsyncClient(base_url=f"http://{host}", timeout=30) as c:
            r = await c.post(
                "/api/auth/token", data={"username": "receiver", "password": DEMO_PASSWORD}
            )
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            [po] = await ok(await c.get("/api/purchase-orders"))
            assert (po["number"], po["status"], po["supplier"]) == (
                "PO-000001",
                "confirmed",
                "SH-FOODS",
            )
            assert [ln["sku"] for ln in po["lines"]] == ["SKU-0001", "SKU-0003", "SKU-0009"]
            assert po["lines"][0]["unit_price"] == 16.8  # the 100+ break of the price list
            receipt = await ok(
                await c.post("/api/receipts", json={"dock": "LOC-DOCK-01", "code": "PO-000001"}),
                201,
            )
            label = gs1(
                with_check_digit("690123400001"),
                lot="DEMO-1",
                expiry=datetime.now(UTC).date() + timedelta(days=300),
                qty=24,
            )
            got = await ok(
                await c.post(f"/api/receipts/{receipt['number']}/scans", json=scan(code=label))
            )
            assert (got["result"]["product"], got["result"]["qty"]) == ("SKU-0001", 24)
            for _ in range(100):
                alerts = await ok(
                    await c.get("/api/alerts", params={"kind": "qualification_expiring"})
                )
                if alerts:
                    break
                await asyncio.sleep(0.05)
            assert [a["subject"] for a in alerts] == ["SH-FOODS"]
    finally:
        server.should_exit = True
        await task
