"""Every bad scan: a 4xx with a machine-readable code and a sentence, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, scan, user_token

CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    # (id, who, scan fields, status, code)
    (
        "unknown code",
        "supervisor",
        {"type": "pick", "code": "NOPE", "location": "A1"},
        422,
        "unknown_code",
    ),
    (
        "bad check digit",
        "supervisor",
        {"type": "receive", "code": "5901234123458", "location": "A1"},
        422,
        "unknown_code",
    ),
    (
        "bad gs1",
        "supervisor",
        {"type": "receive", "code": "(01)05901234123458", "location": "A1"},
        422,
        "invalid_code",
    ),
    (
        "bad gs1 date",
        "supervisor",
        {"type": "receive", "code": f"(01)0{EAN_LOT}(17)271399(10)X", "location": "A1"},
        422,
        "invalid_code",
    ),
    (
        "unknown location",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "location": "Z9"},
        422,
        "unknown_location",
    ),
    ("no location", "supervisor", {"type": "receive", "code": EAN_PLAIN}, 422, "invalid_location"),
    (
        "virtual location",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "location": "WH1:SUPPLIER"},
        422,
        "invalid_location",
    ),
    (
        "transfer without to",
        "supervisor",
        {"type": "transfer", "code": EAN_PLAIN, "location": "A1"},
        422,
        "invalid_location",
    ),
    (
        "transfer across warehouses",
        "supervisor",
        {"type": "transfer", "code": EAN_PLAIN, "location": "A1", "to_location": "B1"},
        422,
        "invalid_location",
    ),
    (
        "zero",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": 0, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "negative",
        "supervisor",
        {"type": "pick", "code": EAN_PLAIN, "qty": -3, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "nan string",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": "NaN", "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "infinity",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": "Infinity", "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "absurd",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": 1e12, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "too precise",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": 1.0005, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "boolean",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": True, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "text",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "qty": "five", "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "bad type",
        "supervisor",
        {"type": "steal", "code": EAN_PLAIN, "location": "A1"},
        422,
        "invalid_scan_type",
    ),
    ("no type", "supervisor", {"code": EAN_PLAIN, "location": "A1"}, 422, "invalid_scan"),
    (
        "unknown field",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "location": "A1", "qtty": 2},
        422,
        "invalid_scan",
    ),
    (
        "empty code",
        "supervisor",
        {"type": "receive", "code": "", "location": "A1"},
        422,
        "invalid_scan",
    ),
    (
        "lot required",
        "supervisor",
        {"type": "receive", "code": EAN_LOT, "location": "A1"},
        422,
        "lot_required",
    ),
    (
        "unknown lot",
        "supervisor",
        {"type": "pick", "code": EAN_LOT, "lot": "NOPE", "location": "A1"},
        422,
        "unknown_lot",
    ),
    (
        "serial qty",
        "supervisor",
        {"type": "receive", "code": EAN_SERIAL, "lot": "S1", "qty": 3, "location": "A1"},
        422,
        "invalid_quantity",
    ),
    (
        "insufficient",
        "supervisor",
        {"type": "pick", "code": EAN_PLAIN, "qty": 1, "location": "A1"},
        409,
        "insufficient_stock",
    ),
    (
        "adjust without reason",
        "supervisor",
        {"type": "adjust", "code": EAN_PLAIN, "qty": 2, "location": "A1"},
        422,
        "reason_required",
    ),
    (
        "picker receives",
        "picker",
        {"type": "receive", "code": EAN_PLAIN, "location": "A1"},
        403,
        "forbidden",
    ),
    (
        "receiver adjusts",
        "receiver",
        {"type": "adjust", "code": EAN_PLAIN, "qty": 1, "location": "A1", "reason": "found"},
        403,
        "forbidden",
    ),
    (
        "a receipt's number as reference",
        "supervisor",
        {"type": "receive", "code": EAN_PLAIN, "location": "A1", "reference": "RCV-000001"},
        422,
        "reserved_reference",
    ),
    (
        "a pick list's number as reference",
        "supervisor",
        {"type": "pick", "code": EAN_PLAIN, "location": "A2", "reference": "pk-000007"},
        422,
        "reserved_reference",
    ),
]


async def _ledger(c: Any) -> tuple[Any, Any]:
    moves = (await c.get("/api/moves")).json()
    stock = (await c.get("/api/stock", params={"include_virtual": "true"})).json()
    return moves, stock


@pytest.mark.parametrize(
    ("who", "fields", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_scan_is_refused_and_writes_nothing(
    world: World, who: str, fields: dict[str, Any], status: int, code: str
) -> None:
    async with world.server.client("supervisor") as admin:
        # Some stock exists elsewhere, so "nothing written" is a real comparison.
        r = await admin.post(
            "/api/scans", json=scan(type="receive", code=EAN_PLAIN, qty=1, location="A2")
        )
        assert r.status_code == 200
        before = await _ledger(admin)
        async with world.server.client(who) as c:
            r = await c.post("/api/scans", json=scan(**fields))
        assert r.status_code == status, r.text
        body = r.json()
        assert body["status"] == "rejected"
        assert body["error"]["code"] == code
        assert len(body["error"]["message"]) > 10
        assert await _ledger(admin) == before


async def test_malformed_and_unauthenticated_requests(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post(
            "/api/scans", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_json")
        r = await c.post(
            "/api/scans", content=b'{"event_id": NaN}', headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        r = await c.post("/api/scans", json="a string")
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_scan")
        assert (await c.get("/api/moves")).json() == []
    async with world.server.client(None) as anon:
        r = await anon.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, location="A1"))
        assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
    async with world.server.client("not-a-token") as bad:
        r = await bad.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, location="A1"))
        assert r.status_code == 401


async def test_warehouse_bound_user_cannot_scan_elsewhere(world: World) -> None:
    token = await user_token(world.server, "wh2-picker", "receiver", "WH2")
    async with world.server.client(token) as c:
        r = await c.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, location="A1"))
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
        r = await c.post("/api/scans", json=scan(type="receive", code=EAN_PLAIN, location="B1"))
        assert r.status_code == 200
        assert [m["warehouse"] for m in (await c.get("/api/moves")).json()] == ["WH2"]


async def test_a_purchase_order_number_may_be_quoted_on_a_free_receipt(world: World) -> None:
    """Only numbers of documents that count their moves by reference are reserved."""
    async with world.server.client("supervisor") as c:
        body = scan(type="receive", code=EAN_PLAIN, location="A1", reference="PO-000123")
        r = await c.post("/api/scans", json=body)
        assert (r.status_code, r.json()["status"]) == (200, "applied")
