"""``/api/codes/resolve`` and the scan API share one resolver: every kind of code, and
what a rejection tells a client about a code it does not know."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, literal, select

from server.codes import resolver
from server.codes.resolver import DocumentKind
from server.models import Warehouse
from tests.conftest import EAN_LOT, EAN_PLAIN, EAN_SERIAL, World, expect_error, scan, user_token

GS = "\x1d"


async def resolve(world: World, code: str, who: str = "admin") -> dict[str, Any]:
    async with world.server.client(who) as c:
        r = await c.get("/api/codes/resolve", params={"code": code})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


async def test_products_by_barcode_sku_and_gtin_equivalence(world: World) -> None:
    for code in (EAN_PLAIN, "INT-PLAIN", "PLAIN", "0" + EAN_PLAIN, f"]E0{EAN_PLAIN}"):
        found = await resolve(world, code)
        assert found["kind"] == "product", (code, found)
        assert found["product"]["sku"] == "PLAIN"
        assert found["gtin"] in (None, "0" + EAN_PLAIN)


async def test_gs1_label_gives_product_lot_expiry_quantity(world: World) -> None:
    found = await resolve(world, f"]C101{'0' + EAN_LOT}17270131103B-77{GS}3024")
    assert found["kind"] == "product" and found["product"]["sku"] == "LOTTED"
    assert found["content_type"] == "gs1" and found["aim"] == "]C1"
    assert (found["lot"], found["expiry"], found["quantity"]) == ("3B-77", "2027-01-31", 24)
    assert found["gs1"]["ais"] == {"01": "0" + EAN_LOT, "17": "270131", "10": "3B-77", "30": "24"}


async def test_location_by_code_and_barcode_scoped_to_the_callers_warehouse(
    world: World,
) -> None:
    for code in ("A1", "LOC-A1"):
        found = await resolve(world, code)
        assert found["kind"] == "location"
        assert found["location"] == {"code": "A1", "warehouse": "WH1", "kind": "bin"}
        assert found["error"]["code"] == "not_an_item"
    token = await user_token(world.server, "wh2-picker", "picker", warehouse="WH2")
    assert (await resolve(world, "LOC-B1", token))["kind"] == "location"
    assert (await resolve(world, "LOC-A1", token))["kind"] == "unknown"


async def test_serial_number_alone_resolves_to_its_product(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/scans",
            json=scan(type="receive", code=EAN_SERIAL, lot="SN-0042", location="A1"),
        )
        assert r.status_code == 200, r.text
    found = await resolve(world, "SN-0042")
    assert found["kind"] == "serial" and found["serial"] == "SN-0042"
    assert found["product"]["sku"] == "SERIAL"
    # ...so a picker can scan just the serial label.
    async with world.server.client("admin") as c:
        r = await c.post("/api/scans", json=scan(type="pick", code="SN-0042", location="A1"))
        assert r.status_code == 200, r.text
        assert (r.json()["product"], r.json()["lot"]) == ("SERIAL", "SN-0042")


async def test_sscc_unknown_and_invalid(world: World) -> None:
    sscc = await resolve(world, "]C100106141411234567897")
    assert sscc["kind"] == "sscc" and sscc["gs1"]["sscc"] == "106141411234567897"
    unknown = await resolve(world, "]C10109501101530003")
    assert unknown["kind"] == "unknown" and unknown["gtin"] == "09501101530003"
    assert unknown["error"]["code"] == "unknown_code"
    plain = await resolve(world, "WHO-KNOWS")
    assert (plain["kind"], plain["content_type"], plain["gs1"]) == ("unknown", "plain", None)
    bad = await resolve(world, "]C10109501101530004")
    assert bad["kind"] == "invalid" and bad["error"]["code"] == "invalid_code"


async def test_epc_uri_resolves_by_gtin(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/products",
            json={"sku": "TAGGED", "name": "Tagged", "barcodes": ["80614141123458"]},
        )
        assert r.status_code == 201, r.text
    found = await resolve(world, "urn:epc:id:sgtin:0614141.812345.6789")
    assert found["kind"] == "product" and found["product"]["sku"] == "TAGGED"
    assert (found["content_type"], found["serial"]) == ("epc", "6789")


@pytest.fixture
def warehouse_documents() -> Any:
    """A document kind over an existing table, to prove the registry (issues 5/6 register
    purchase orders, sales orders and pick lists the same way)."""
    wh = Warehouse.__table__  # type: ignore[attr-defined]
    kind = DocumentKind(
        "warehouse_sheet",
        "WH",
        select(wh.c.code.label("number"), literal("open").label("status")).where(
            wh.c.code.in_(bindparam("numbers", expanding=True))
        ),
    )
    resolver.register_document_kind(kind)
    yield kind
    resolver.DOCUMENT_KINDS.pop(kind.type)


async def test_registered_document_kinds_resolve(world: World, warehouse_documents: Any) -> None:
    found = await resolve(world, "WH2")
    assert found["kind"] == "document"
    assert found["document"] == {"type": "warehouse_sheet", "number": "WH2", "status": "open"}
    assert (await resolve(world, "WH9"))["kind"] == "unknown"


async def test_resolve_many_in_order_and_bad_requests(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post("/api/codes/resolve", json={"codes": ["LOC-A1", EAN_PLAIN, "NOPE"]})
        assert r.status_code == 200, r.text
        assert [x["kind"] for x in r.json()] == ["location", "product", "unknown"]
        for body in ({"codes": []}, {"codes": ["x"] * 201}, {"code": "x"}):
            r = await c.post("/api/codes/resolve", json=body)
            expect_error(r, 422, "validation_error")
        expect_error(await c.get("/api/codes/resolve"), 422, "validation_error")
    async with world.server.client(None) as c:
        expect_error(await c.get("/api/codes/resolve?code=x"), 401, "not_authenticated")


async def test_scan_rejections_carry_the_decoded_code(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/scans",
            json=scan(
                type="receive", code=f"]C10109501101530003172701311077{GS}3012", location="A1"
            ),
        )
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "unknown_code"
        details = error["details"]
        assert details["gtin"] == "09501101530003" and details["content_type"] == "gs1"
        assert details["gs1"]["lot"] == "77" and details["gs1"]["quantity"] == "12"
        # ...which is what a client needs to link the code to a product, then scan again.
        r = await c.post("/api/products/PLAIN/barcodes", json={"code": details["gtin"]})
        assert r.status_code == 201, r.text
        r = await c.post(
            "/api/scans",
            json=scan(type="receive", code=f"]C10109501101530003{'30'}12", location="A1"),
        )
        assert r.status_code == 200 and r.json()["qty"] == 12, r.text

        r = await c.post("/api/scans", json=scan(type="receive", code="LOC-A2", location="A1"))
        err = r.json()["error"]
        assert r.status_code == 422 and err["code"] == "not_an_item", r.text
        assert "A2 is a location" in err["message"]
        r = await c.post(
            "/api/scans", json=scan(type="receive", code="]C100106141411234567897", location="A1")
        )
        assert r.json()["error"]["code"] == "not_an_item", r.text


async def test_count_sheets_and_transfers_resolve_by_their_number(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post("/api/counts", json={"warehouse": "WH1", "locations": ["A1"]})
        assert r.status_code == 201, r.text
        count = r.json()["number"]
        r = await c.post(
            "/api/transfers",
            json={"from_warehouse": "WH1", "to_warehouse": "WH2", "lines": []},
        )
        assert r.status_code == 201, r.text
        transfer = r.json()["number"]
    found = await resolve(world, count, "supervisor")
    assert found["kind"] == "document"
    assert found["document"] == {"type": "count_session", "number": count, "status": "open"}
    found = await resolve(world, transfer, "supervisor")
    assert found["document"]["type"] == "transfer" and found["document"]["number"] == transfer
    assert (await resolve(world, "TR-999999"))["kind"] == "unknown"
