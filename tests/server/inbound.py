"""Helpers shared by the inbound tests (suppliers, purchasing, receiving)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.conftest import scan


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def gs1(
    gtin: str, *, lot: str | None = None, expiry: date | None = None, qty: int | None = None
) -> str:
    """A GS1-128 label as a scanner with AIM identifiers sends it: GTIN, expiry, lot, count."""
    text = "]C101" + gtin.zfill(14)
    if expiry is not None:
        text += "17" + expiry.strftime("%y%m%d")
    if qty is not None:
        text += f"30{qty}\x1d"
    if lot is not None:
        text += "10" + lot
    return text


async def make_supplier(c: httpx.AsyncClient, code: str = "ACME", **extra: Any) -> Any:
    body = {"code": code, "name": f"{code} Trading", "lead_time_days": 5, **extra}
    return await ok(await c.post("/api/suppliers", json=body), 201)


async def make_po(
    c: httpx.AsyncClient,
    lines: list[dict[str, Any]],
    *,
    supplier: str = "ACME",
    confirm: bool = True,
    **extra: Any,
) -> Any:
    body = {"supplier": supplier, "warehouse": "WH1", "lines": lines, **extra}
    po = await ok(await c.post("/api/purchase-orders", json=body), 201)
    if confirm:
        po = await ok(await c.post(f"/api/purchase-orders/{po['number']}/confirm"))
    return po


async def open_receipt(c: httpx.AsyncClient, **body: Any) -> Any:
    return await ok(await c.post("/api/receipts", json={"dock": "DOCK", **body}), 201)


async def receive(c: httpx.AsyncClient, number: str, **fields: Any) -> httpx.Response:
    return await c.post(f"/api/receipts/{number}/scans", json=scan(**fields))


async def on_hand(c: httpx.AsyncClient, **params: Any) -> dict[tuple[str, str, str | None], Any]:
    rows = await ok(await c.get("/api/stock", params={"include_virtual": "true", **params}))
    return {(r["location"], r["sku"], r["lot"]): r["qty"] for r in rows}
