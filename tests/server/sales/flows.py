"""Helpers shared by the outbound tests: a customer, stock on the shelves, an order taken
through its steps by the API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import scan


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def receive(c: httpx.AsyncClient, code: str, qty: float, location: str, **kw: Any) -> None:
    body = scan(type="receive", code=code, qty=qty, location=location, **kw)
    r = await ok(await c.post("/api/scans", json=body))
    assert r["status"] == "applied", r


async def customer(
    c: httpx.AsyncClient, code: str = "ACME", credit_limit: float | None = None, **kw: Any
) -> dict[str, Any]:
    body = {
        "code": code,
        "name": f"{code} Trading",
        "credit_limit": credit_limit,
        "addresses": [{"line1": "1 Harbour Rd", "city": "Shanghai", "postal_code": "200000"}],
        **kw,
    }
    return await ok(await c.post("/api/customers", json=body), 201)  # type: ignore[no-any-return]


async def order(
    c: httpx.AsyncClient,
    lines: list[tuple[str, float, float]],
    customer_code: str = "ACME",
    **kw: Any,
) -> dict[str, Any]:
    body = {
        "customer": customer_code,
        "warehouse": "WH1",
        "lines": [{"sku": s, "qty": q, "unit_price": p} for s, q, p in lines],
        **kw,
    }
    return await ok(await c.post("/api/sales-orders", json=body), 201)  # type: ignore[no-any-return]


async def confirmed(c: httpx.AsyncClient, lines: list[tuple[str, float, float]], **kw: Any) -> str:
    number: str = (await order(c, lines, **kw))["number"]
    await ok(await c.post(f"/api/sales-orders/{number}/confirm"))
    return number


async def stock(c: httpx.AsyncClient, **params: Any) -> dict[tuple[str, str, str | None], Any]:
    rows = await ok(await c.get("/api/stock", params={"include_virtual": "true", **params}))
    return {(r["location"], r["sku"], r["lot"]): r["qty"] for r in rows}


async def available(c: httpx.AsyncClient, sku: str, warehouse: str = "WH1") -> dict[str, Any]:
    rows = await ok(await c.get("/api/availability", params={"warehouse": warehouse, "sku": sku}))
    assert len(rows) <= 1
    return rows[0] if rows else {"on_hand": 0, "reserved": 0, "available": 0}


def pick(location: str, code: str, **kw: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "location": location, "code": code, **kw}
