"""Products and their barcodes through the HTTP API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import EAN_LOT, EAN_PLAIN, GTIN_CASE, RunningServer, World, expect_error, scan

EAN_BAD = "5901234123458"  # EAN_PLAIN with a wrong check digit
GTIN14_OF_EAN_PLAIN = "0" + EAN_PLAIN
UPC_A = "036000291452"  # valid UPC-A
EAN_8 = "96385074"  # valid EAN-8


async def skus(c: httpx.AsyncClient, **params: Any) -> list[str]:
    r = await c.get("/api/products", params=params)
    assert r.status_code == 200, r.text
    return [p["sku"] for p in r.json()]


async def test_create_get_list_patch_delete(server: RunningServer) -> None:
    async with server.client("supervisor") as c:
        r = await c.post(
            "/api/products",
            json={
                "sku": "TEA-1",
                "name": "Green tea",
                "unit": "box",
                "tracking": "lot",
                "safety_stock": "2.5",
                "barcodes": [EAN_PLAIN, "INT-TEA"],
            },
        )
        assert r.status_code == 201, r.text
        created = {
            "sku": "TEA-1",
            "name": "Green tea",
            "unit": "box",
            "tracking": "lot",
            "safety_stock": 2.5,
            "max_stock": None,
            "unit_cost": 0,
            "abc_class": None,
            "allow_negative": False,
            "active": True,
            "barcodes": [
                {"code": EAN_PLAIN, "kind": "ean13", "gtin14": GTIN14_OF_EAN_PLAIN},
                {"code": "INT-TEA", "kind": "internal", "gtin14": None},
            ],
            "default_location": None,
            "category": None,
            "min_shelf_life_days": None,
            "pick_strategy": "fefo",
        }
        assert r.json() == created
        assert (await c.get("/api/products/TEA-1")).json() == created
        assert (await c.get("/api/products")).json() == [created]

        r = await c.patch(
            "/api/products/TEA-1", json={"name": "Jasmine tea", "active": False, "safety_stock": 4}
        )
        assert r.status_code == 200, r.text
        assert r.json() == {**created, "name": "Jasmine tea", "active": False, "safety_stock": 4}

        r = await c.delete("/api/products/TEA-1")
        assert r.status_code == 204, r.text
        expect_error(await c.get("/api/products/TEA-1"), 404, "not_found")
        assert await skus(c) == []
        # Its barcodes are free again.
        r = await c.post(
            "/api/products",
            json={"sku": "TEA-2", "name": "Tea", "barcodes": [EAN_PLAIN, "INT-TEA"]},
        )
        assert r.status_code == 201, r.text


async def test_barcode_kinds(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post(
            "/api/products",
            json={
                "sku": "K",
                "name": "Kinds",
                "barcodes": [EAN_8, UPC_A, GTIN_CASE, "ABC-123", "12345"],
            },
        )
        assert r.status_code == 201, r.text
        kinds = {b["code"]: (b["kind"], b["gtin14"]) for b in r.json()["barcodes"]}
        assert kinds == {
            EAN_8: ("ean8", "000000" + EAN_8),
            UPC_A: ("upc-a", "00" + UPC_A),
            GTIN_CASE: ("gtin14", GTIN_CASE),
            "ABC-123": ("internal", None),
            "12345": ("internal", None),  # digits, but no GTIN length
        }


async def test_list_search_and_paging(world: World) -> None:
    async with world.server.client("picker") as c:
        assert await skus(c) == ["LOTTED", "PLAIN", "SERIAL"]
        assert await skus(c, q="lot") == ["LOTTED"]  # case-insensitive, by sku
        assert await skus(c, q="Plai") == ["PLAIN"]  # and by name
        assert await skus(c, limit=2) == ["LOTTED", "PLAIN"]
        assert await skus(c, limit=2, offset=2) == ["SERIAL"]
        assert await skus(c, q="nothing-like-it") == []
        # LIKE wildcards in the query are literal characters.
        assert await skus(c, q="_") == []
        assert await skus(c, q="%") == []
        assert await skus(c, q="L_T") == []
        expect_error(await c.get("/api/products", params={"limit": 0}), 422, "validation_error")
        expect_error(await c.get("/api/products", params={"offset": -1}), 422, "validation_error")


async def test_duplicate_sku_is_409_and_writes_nothing(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/products", json={"sku": "PLAIN", "name": "Again", "barcodes": ["NEW-CODE"]}
        )
        expect_error(r, 409, "already_exists")
        assert (await c.get("/api/products/PLAIN")).json()["name"] == "Plain"
        assert await skus(c) == ["LOTTED", "PLAIN", "SERIAL"]
        # NEW-CODE was not linked to anything.
        r = await c.post("/api/products", json={"sku": "N", "name": "N", "barcodes": ["NEW-CODE"]})
        assert r.status_code == 201, r.text


async def test_wrong_check_digit_is_422_invalid_barcode(server: RunningServer) -> None:
    async with server.client("admin") as c:
        for bad in (EAN_BAD, "15901234123455", "036000291453", "96385075"):
            r = await c.post("/api/products", json={"sku": "P", "name": "P", "barcodes": [bad]})
            err = expect_error(r, 422, "invalid_barcode")
            assert bad in err["message"]
        # A good code before a bad one is not kept either.
        r = await c.post(
            "/api/products", json={"sku": "P", "name": "P", "barcodes": [EAN_PLAIN, EAN_BAD]}
        )
        expect_error(r, 422, "invalid_barcode")
        assert await skus(c) == []
        r = await c.post("/api/products", json={"sku": "Q", "name": "Q", "barcodes": [EAN_PLAIN]})
        assert r.status_code == 201, r.text


async def test_barcode_in_use_across_gtin_forms(world: World) -> None:
    """EAN_PLAIN belongs to PLAIN; its GTIN-14 form (leading zero) is the same item."""
    async with world.server.client("admin") as c:
        for code in (EAN_PLAIN, GTIN14_OF_EAN_PLAIN, "INT-PLAIN", EAN_LOT):
            r = await c.post(
                "/api/products", json={"sku": "NEW", "name": "New", "barcodes": [code]}
            )
            expect_error(r, 409, "barcode_in_use")
            r = await c.post("/api/products/SERIAL/barcodes", json={"code": code})
            expect_error(r, 409, "barcode_in_use")
        # The same GTIN twice in one request, in two forms.
        r = await c.post(
            "/api/products",
            json={"sku": "NEW", "name": "New", "barcodes": ["4012345678901", "04012345678901"]},
        )
        expect_error(r, 409, "barcode_in_use")
        assert await skus(c) == ["LOTTED", "PLAIN", "SERIAL"]
        serial = (await c.get("/api/products/SERIAL")).json()
        assert [b["code"] for b in serial["barcodes"]] == ["9780201379624"]


async def test_gtin14_registered_first_blocks_its_ean13(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post(
            "/api/products", json={"sku": "A", "name": "A", "barcodes": [GTIN14_OF_EAN_PLAIN]}
        )
        assert r.status_code == 201, r.text
        assert r.json()["barcodes"][0]["kind"] == "gtin14"
        r = await c.post("/api/products", json={"sku": "B", "name": "B", "barcodes": [EAN_PLAIN]})
        expect_error(r, 409, "barcode_in_use")
        # A case (indicator 1) is another GTIN: allowed.
        r = await c.post("/api/products", json={"sku": "B", "name": "B", "barcodes": [GTIN_CASE]})
        assert r.status_code == 201, r.text


async def test_add_barcode(world: World) -> None:
    async with world.server.client("supervisor") as c:
        r = await c.post("/api/products/PLAIN/barcodes", json={"code": GTIN_CASE})
        assert r.status_code == 201, r.text
        assert [b["code"] for b in r.json()["barcodes"]] == [EAN_PLAIN, "INT-PLAIN", GTIN_CASE]
        expect_error(
            await c.post("/api/products/PLAIN/barcodes", json={"code": EAN_BAD}),
            422,
            "invalid_barcode",
        )
        expect_error(
            await c.post("/api/products/NOPE/barcodes", json={"code": "X-1"}), 404, "not_found"
        )
        expect_error(
            await c.post("/api/products/PLAIN/barcodes", json={"code": ""}), 422, "validation_error"
        )
        r = await c.get("/api/products/PLAIN")
        assert [b["code"] for b in r.json()["barcodes"]] == [EAN_PLAIN, "INT-PLAIN", GTIN_CASE]
    # The new code scans as PLAIN.
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code=GTIN_CASE, qty=1, location="A1")
        )
        assert r.status_code == 200, r.text
        assert r.json()["product"] == "PLAIN"


async def test_invalid_product_bodies_are_422(server: RunningServer) -> None:
    async with server.client("admin") as c:
        for body in (
            {"sku": "A:B", "name": "colon"},
            {"sku": "", "name": "empty"},
            {"sku": "A", "name": ""},
            {"sku": "A", "name": "x", "tracking": "batch"},
            {"sku": "A", "name": "x", "safety_stock": -1},
            {"sku": "A", "name": "x", "safety_stock": "NaN"},
            {"sku": "A", "name": "x", "safety_stock": "0.0001"},
            {"sku": "A", "name": "x", "colour": "red"},
            {"sku": "A", "name": "x", "barcodes": ["C"] * 51},
        ):
            expect_error(await c.post("/api/products", json=body), 422, "validation_error")
        assert await skus(c) == []
        (await c.post("/api/products", json={"sku": "A", "name": "x"})).raise_for_status()
        for patch in ({"name": None}, {"active": None}, {"sku": "B"}, {"tracking": "batch"}):
            r = await c.patch("/api/products/A", json=patch)
            expect_error(r, 422, "validation_error")
        assert (await c.get("/api/products/A")).json()["name"] == "x"


async def test_product_with_history_cannot_be_deleted(world: World) -> None:
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans", json=scan(type="receive", code="PLAIN", qty=1, location="A1")
        )
        assert r.status_code == 200, r.text
    async with world.server.client("admin") as c:
        expect_error(await c.delete("/api/products/PLAIN"), 409, "in_use")
        r = await c.get("/api/products/PLAIN")
        assert r.status_code == 200
        assert [b["code"] for b in r.json()["barcodes"]] == [EAN_PLAIN, "INT-PLAIN"]
        # The tracking of a product in stock cannot change either.
        expect_error(await c.patch("/api/products/PLAIN", json={"tracking": "lot"}), 409, "in_use")
        assert (await c.get("/api/products/PLAIN")).json()["tracking"] == "none"
        # Archiving is the way out.
        r = await c.patch("/api/products/PLAIN", json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False


async def test_product_with_only_rejected_scans_can_be_deleted(world: World) -> None:
    """A rejected scan leaves no history, so the product may still go."""
    async with world.server.client("picker") as c:
        r = await c.post(
            "/api/scans", json=scan(type="pick", code="LOTTED", qty=1, location="A1", lot="L1")
        )
        assert r.status_code >= 400, r.text
    async with world.server.client("receiver") as c:
        r = await c.post(
            "/api/scans",
            json=scan(type="receive", code="LOTTED", qty=10**9, location="A1", lot="L2"),
        )
        assert r.status_code >= 400, r.text
    async with world.server.client("admin") as c:
        r = await c.delete("/api/products/LOTTED")
        assert r.status_code == 204, r.text
        expect_error(await c.get("/api/products/LOTTED"), 404, "not_found")


async def test_unknown_product_is_404(server: RunningServer) -> None:
    async with server.client("admin") as c:
        expect_error(await c.get("/api/products/NOPE"), 404, "not_found")
        expect_error(await c.patch("/api/products/NOPE", json={"name": "x"}), 404, "not_found")
        expect_error(await c.delete("/api/products/NOPE"), 404, "not_found")


async def test_roles_for_products(world: World) -> None:
    for role in ("picker", "receiver", "counter", "device"):
        async with world.server.client(role) as c:
            r = await c.post("/api/products", json={"sku": f"X-{role}", "name": "x"})
            expect_error(r, 403, "forbidden")
            expect_error(await c.patch("/api/products/PLAIN", json={"name": "x"}), 403, "forbidden")
            expect_error(await c.delete("/api/products/PLAIN"), 403, "forbidden")
            r = await c.post("/api/products/PLAIN/barcodes", json={"code": "X-9"})
            expect_error(r, 403, "forbidden")
            # Reading is for everyone, devices included.
            assert (await c.get("/api/products/PLAIN")).json()["name"] == "Plain"
    async with world.server.client("admin") as c:
        assert await skus(c) == ["LOTTED", "PLAIN", "SERIAL"]
        r = await c.get("/api/products/PLAIN")
        assert [b["code"] for b in r.json()["barcodes"]] == [EAN_PLAIN, "INT-PLAIN"]


async def test_concurrent_creates_of_one_sku_give_one_201_and_409s(server: RunningServer) -> None:
    async with server.client("admin") as c:
        results = await asyncio.gather(
            *(
                c.post(
                    "/api/products", json={"sku": "RACE", "name": f"n{i}", "barcodes": [f"R-{i}"]}
                )
                for i in range(6)
            )
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201] + [409] * 5, [r.text for r in results]
        for r in results:
            if r.status_code == 409:
                assert r.json()["error"]["code"] == "already_exists"
        assert await skus(c) == ["RACE"]
        barcodes = (await c.get("/api/products/RACE")).json()["barcodes"]
        assert len(barcodes) == 1


async def test_concurrent_claims_of_one_barcode(server: RunningServer) -> None:
    async with server.client("admin") as c:
        results = await asyncio.gather(
            *(
                c.post(
                    "/api/products",
                    json={
                        "sku": f"P{i}",
                        "name": "p",
                        "barcodes": [EAN_PLAIN if i % 2 else GTIN14_OF_EAN_PLAIN],
                    },
                )
                for i in range(6)
            )
        )
        assert sorted(r.status_code for r in results) == [201] + [409] * 5, [
            r.text for r in results
        ]
        assert len(await skus(c)) == 1
