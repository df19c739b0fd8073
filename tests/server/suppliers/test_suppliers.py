"""Suppliers: master data, contacts, qualification documents and their alerts, price lists
and price comparison."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import World, expect_error
from tests.server.inbound import make_supplier, ok

TODAY = datetime.now(UTC).date()


async def test_supplier_master_data_and_bad_input(world: World) -> None:
    async with world.server.client("supervisor") as c:
        body = {
            "code": "ACME",
            "name": "Acme Trading",
            "currency": "USD",
            "payment_terms": "30 days net",
            "lead_time_days": 12,
            "contacts": [{"name": "Li Wei", "role": "sales", "email": "li@acme.example"}],
            "qualifications": [
                {"kind": "business licence", "number": "91310000", "expires_on": "2099-01-01"}
            ],
        }
        s = await ok(await c.post("/api/suppliers", json=body), 201)
        assert (s["code"], s["currency"], s["payment_terms"], s["lead_time_days"]) == (
            "ACME",
            "USD",
            "30 days net",
            12,
        )
        assert [(x["name"], x["role"]) for x in s["contacts"]] == [("Li Wei", "sales")]
        assert [(q["kind"], q["status"]) for q in s["qualifications"]] == [
            ("business licence", "valid")
        ]
        assert s["qualified"] is True
        contact = await ok(
            await c.post("/api/suppliers/ACME/contacts", json={"name": "Zhao", "phone": "123"}),
            201,
        )
        zhao = next(x["id"] for x in contact["contacts"] if x["name"] == "Zhao")
        after = await ok(await c.delete(f"/api/suppliers/ACME/contacts/{zhao}"))
        assert [x["name"] for x in after["contacts"]] == ["Li Wei"]
        patched = await ok(await c.patch("/api/suppliers/ACME", json={"lead_time_days": 9}))
        assert patched["lead_time_days"] == 9
        listed = await ok(await c.get("/api/suppliers"))
        assert [x["code"] for x in listed] == ["ACME"]
        assert listed[0]["scorecard"]["purchase_orders"] == 0

        before = await ok(await c.get("/api/suppliers"))
        for payload, status, code in (
            ({**body, "contacts": [], "qualifications": []}, 409, "already_exists"),
            ({"code": "X1", "name": "X", "currency": "usd"}, 422, "validation_error"),
            ({"code": "X2", "name": "X", "lead_time_days": -1}, 422, "validation_error"),
            ({"code": "bad code", "name": "X"}, 422, "validation_error"),
            (
                {
                    "code": "X3",
                    "name": "X",
                    "qualifications": [
                        {"kind": "ISO", "issued_on": "2030-01-02", "expires_on": "2030-01-01"}
                    ],
                },
                422,
                "validation_error",
            ),
        ):
            expect_error(await c.post("/api/suppliers", json=payload), status, code)
        assert await ok(await c.get("/api/suppliers")) == before  # X3 left nothing behind
        expect_error(
            await c.patch("/api/suppliers/ACME", json={"name": None}), 422, "validation_error"
        )
        expect_error(await c.get("/api/suppliers/NOPE"), 404, "not_found")
    async with world.server.client("receiver") as rc:
        expect_error(
            await rc.post("/api/suppliers", json={"code": "R", "name": "R"}), 403, "forbidden"
        )
        assert [x["code"] for x in await ok(await rc.get("/api/suppliers"))] == ["ACME"]


async def _offers(c: httpx.AsyncClient, qty: float) -> Any:
    return await ok(await c.get("/api/price-comparison", params={"sku": "PLAIN", "qty": qty}))


async def test_price_breaks_and_comparison(world: World) -> None:
    async with world.server.client("supervisor") as c:
        await make_supplier(c, "CHEAP", lead_time_days=20)
        await make_supplier(c, "FAST", lead_time_days=2)
        await make_supplier(c, "BULK", lead_time_days=7)
        for code, price, min_qty, lead in (
            ("CHEAP", 2.0, 1, None),
            ("FAST", 3.5, 1, None),
            ("FAST", 2.9, 100, 3),
            ("BULK", 1.5, 200, None),
        ):
            body = {"sku": "PLAIN", "unit_price": price, "min_qty": min_qty, "lead_time_days": lead}
            await ok(await c.put(f"/api/suppliers/{code}/prices", json=body))
        # Changing a break updates it (one row per supplier, product and minimum).
        await ok(
            await c.put("/api/suppliers/CHEAP/prices", json={"sku": "PLAIN", "unit_price": 2.2})
        )
        prices = await ok(await c.get("/api/suppliers/FAST/prices"))
        assert [(p["min_qty"], p["unit_price"], p["lead_time_days"]) for p in prices] == [
            (1, 3.5, 2),
            (100, 2.9, 3),
        ]
        small = await _offers(c, 10)
        assert [(o["supplier"], o["unit_price"], o["total"]) for o in small["by_price"]] == [
            ("CHEAP", 2.2, 22),
            ("FAST", 3.5, 35),
        ]
        assert [o["supplier"] for o in small["by_lead_time"]] == ["FAST", "CHEAP"]
        assert small["not_reached"] == ["BULK"]
        big = await _offers(c, 250)
        assert [(o["supplier"], o["unit_price"], o["lead_time_days"]) for o in big["by_price"]] == [
            ("BULK", 1.5, 7),
            ("CHEAP", 2.2, 20),
            ("FAST", 2.9, 3),
        ]
        assert [o["supplier"] for o in big["by_lead_time"]] == ["FAST", "BULK", "CHEAP"]
        assert big["not_reached"] == []

        for params, status, code in (
            ({"sku": "PLAIN", "qty": 0}, 422, "invalid_quantity"),
            ({"sku": "PLAIN", "qty": "lots"}, 422, "validation_error"),
            ({"sku": "NOPE", "qty": 1}, 404, "not_found"),
        ):
            expect_error(await c.get("/api/price-comparison", params=params), status, code)
        for body, status, code in (
            ({"sku": "PLAIN", "unit_price": -1}, 422, "validation_error"),
            ({"sku": "PLAIN", "unit_price": 1, "min_qty": 0}, 422, "validation_error"),
            ({"sku": "NOPE", "unit_price": 1}, 404, "not_found"),
        ):
            expect_error(await c.put("/api/suppliers/FAST/prices", json=body), status, code)
        r = await c.delete("/api/suppliers/FAST/prices/PLAIN", params={"min_qty": 100})
        assert r.status_code == 204, r.text
        assert len(await ok(await c.get("/api/suppliers/FAST/prices"))) == 1
        expect_error(
            await c.delete("/api/suppliers/FAST/prices/PLAIN", params={"min_qty": 100}),
            404,
            "not_found",
        )


async def _alerts(c: httpx.AsyncClient, expected: set[tuple[str, str]]) -> list[Any]:
    for _ in range(100):
        rows = [
            a for a in await ok(await c.get("/api/alerts")) if a["kind"].startswith("qualification")
        ]
        if {(a["kind"], a["subject"]) for a in rows} == expected:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"qualification alerts never became {expected}: {rows}")


async def test_qualification_alerts_are_raised_and_cleared(world: World) -> None:
    soon = (TODAY + timedelta(days=10)).isoformat()
    past = (TODAY - timedelta(days=3)).isoformat()
    async with world.server.client("supervisor") as c:
        await make_supplier(
            c,
            "ACME",
            qualifications=[
                {"kind": "business licence", "number": "BL-1", "expires_on": soon},
                {"kind": "food safety", "expires_on": past},
            ],
        )
        await make_supplier(
            c, "SAFE", qualifications=[{"kind": "ISO 9001", "expires_on": "2099-12-31"}]
        )
        rows = await _alerts(
            c, {("qualification_expiring", "ACME"), ("qualification_expired", "ACME")}
        )
        by_kind = {a["kind"]: a for a in rows}
        assert by_kind["qualification_expired"]["severity"] == "critical"
        assert "food safety expired on" in by_kind["qualification_expired"]["message"]
        assert "BL-1" in by_kind["qualification_expiring"]["message"]
        assert by_kind["qualification_expiring"]["value"] == 10
        s = await ok(await c.get("/api/suppliers/ACME"))
        assert s["qualified"] is False
        assert {q["kind"]: q["status"] for q in s["qualifications"]} == {
            "business licence": "expiring",
            "food safety": "expired",
        }
        # A renewed certificate supersedes the expired one: that alert clears.
        renewed = await ok(
            await c.post(
                "/api/suppliers/ACME/qualifications",
                json={"kind": "Food Safety", "expires_on": "2099-01-01"},
            ),
            201,
        )
        assert renewed["qualified"] is True
        assert sorted(q["status"] for q in renewed["qualifications"]) == [
            "expiring",
            "superseded",
            "valid",
        ]
        await _alerts(c, {("qualification_expiring", "ACME")})
        cleared = await ok(
            await c.get(
                "/api/alerts", params={"kind": "qualification_expired", "include_cleared": "true"}
            )
        )
        assert [(a["subject"], a["cleared_at"] is not None) for a in cleared] == [("ACME", True)]
        # Removing the expiring licence clears its alert too.
        licence = next(q["id"] for q in renewed["qualifications"] if q["status"] == "expiring")
        await ok(await c.delete(f"/api/suppliers/ACME/qualifications/{licence}"))
        await _alerts(c, set())
