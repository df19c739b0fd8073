"""HTTP edges: body limit, malformed JSON, error bodies, health probes, OpenAPI and docs."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from server.health import endpoints as health
from server.settings import Settings
from tests.conftest import RunningServer, World, expect_error, scan

LIMIT = 2048


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest settings, with a small body limit."""
    return settings.model_copy(update={"max_body_bytes": LIMIT})


def big_product(size: int) -> dict[str, object]:
    return {"sku": "BIG", "name": "n" * 100, "barcodes": [f"C{i:06d}" for i in range(size)]}


async def chunks(data: bytes, size: int = 512) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def skus(c: httpx.AsyncClient) -> list[str]:
    return [p["sku"] for p in (await c.get("/api/products")).json()]


async def test_body_over_limit_is_413(server: RunningServer) -> None:
    body = json.dumps(big_product(300)).encode()
    assert len(body) > LIMIT
    async with server.client("admin") as c:
        r = await c.post(
            "/api/products", content=body, headers={"content-type": "application/json"}
        )
        err = expect_error(r, 413, "payload_too_large")
        assert str(LIMIT) in err["message"]
        assert await skus(c) == []
        # Just under the limit is fine.
        small = json.dumps(big_product(10)).encode()
        assert len(small) < LIMIT
        r = await c.post(
            "/api/products", content=small, headers={"content-type": "application/json"}
        )
        assert r.status_code == 201, r.text


async def test_streamed_body_over_limit_is_413(server: RunningServer) -> None:
    """Chunked transfer: no Content-Length to refuse up front, so the count is kept as it reads."""
    body = json.dumps(big_product(300)).encode()
    async with server.client("admin") as c:
        r = await c.post(
            "/api/products", content=chunks(body), headers={"content-type": "application/json"}
        )
        assert "content-length" not in r.request.headers
        expect_error(r, 413, "payload_too_large")
        assert await skus(c) == []


async def test_scan_body_over_limit_is_413(world: World) -> None:
    items = [scan(type="receive", code="PLAIN", qty=1, location="A1") for _ in range(40)]
    body = json.dumps(items).encode()
    assert len(body) > LIMIT
    async with world.server.client("receiver") as c:
        r = await c.post("/api/scans", content=body, headers={"content-type": "application/json"})
        expect_error(r, 413, "payload_too_large")
        r = await c.post(
            "/api/scans", content=chunks(body), headers={"content-type": "application/json"}
        )
        expect_error(r, 413, "payload_too_large")
        assert (await c.get("/api/stock")).json() == []
        assert (await c.get("/api/moves")).json() == []


async def test_declared_length_over_limit_is_refused_before_reading(server: RunningServer) -> None:
    """A Content-Length over the limit is answered at once: the server never waits for it."""
    host, port = server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /api/products HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {server.tokens['admin']}\r\n".encode()
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {100 * LIMIT}\r\n\r\n".encode()
            + b"{"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413 "), head
    async with server.client("admin") as c:
        assert await skus(c) == []


@pytest.mark.parametrize("raw", [b"{", b"{'sku': 'A'}", b"not json", b'{"sku": "A",}'])
async def test_malformed_json_is_400(world: World, raw: bytes) -> None:
    async with world.server.client("admin") as c:
        for url in ("/api/products", "/api/warehouses", "/api/scans"):
            r = await c.post(url, content=raw, headers={"content-type": "application/json"})
            expect_error(r, 400, "invalid_json")
        assert await skus(c) == ["LOTTED", "PLAIN", "SERIAL"]


async def test_validation_error_body_names_the_field(server: RunningServer) -> None:
    async with server.client("admin") as c:
        r = await c.post("/api/warehouses", json={"code": "WH1", "name": 5})
        err = expect_error(r, 422, "validation_error")
        assert err["message"].startswith("name:")


async def test_unknown_route_and_method(server: RunningServer) -> None:
    async with server.client("admin") as c:
        expect_error(await c.get("/api/nothing-here"), 404, "not_found")
        r = await c.put("/api/warehouses")
        expect_error(r, 405, "method_not_allowed")
        assert "POST" in r.headers["allow"]


async def test_healthz_and_readyz(server: RunningServer) -> None:
    async with server.client(None) as c:
        r = await c.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}
        r = await c.get("/readyz")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "ok"
        assert body["checks"] == {"database": "ok", "broker": "ok", "writer": "ok"}
        assert body["seq"] == 0


async def test_readyz_reports_a_failing_or_hanging_dependency(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = server.app.state.jxc

    async def broken() -> None:
        raise ConnectionError("down")

    async def hanging() -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(health, "PROBE_TIMEOUT", 0.2)
    monkeypatch.setattr(state.db, "ping", broken)
    monkeypatch.setattr(state.broker, "ping", hanging)
    async with server.client(None) as c:
        r = await asyncio.wait_for(c.get("/readyz"), 10)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "error: ConnectionError"
        assert body["checks"]["broker"].startswith("error: no answer within")
        assert body["checks"]["writer"] == "ok"
        # Liveness does not depend on them.
        assert (await c.get("/healthz")).status_code == 200
    monkeypatch.undo()
    async with server.client(None) as c:
        assert (await c.get("/readyz")).status_code == 200


async def test_readyz_seq_follows_the_ledger(world: World) -> None:
    async with world.server.client("receiver") as c:
        for _ in range(3):
            r = await c.post(
                "/api/scans", json=scan(type="receive", code="PLAIN", qty=1, location="A1")
            )
            assert r.status_code == 200, r.text
        assert (await c.get("/readyz")).json()["seq"] == 3


PINNED = {
    "/api/scans": "post",
    "/api/stock": "get",
    "/api/moves": "get",
    "/api/products": "post",
    "/api/products/{sku}": "get",
    "/api/products/{sku}/barcodes": "post",
    "/api/locations": "get",
    "/api/warehouses": "post",
    "/api/users": "post",
    "/api/users/me": "get",
    "/api/devices": "post",
    "/api/auth/token": "post",
    "/healthz": "get",
    "/readyz": "get",
}


async def test_openapi_documents_the_pinned_paths(server: RunningServer) -> None:
    async with server.client(None) as c:
        r = await c.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    for path, method in PINNED.items():
        assert method in doc["paths"].get(path, {}), f"{method.upper()} {path} not documented"
    schemas = doc["components"]["schemas"]

    body = doc["paths"]["/api/scans"]["post"]["requestBody"]["content"]["application/json"]
    options = body["schema"]["oneOf"]
    assert {"$ref": "#/components/schemas/ScanIn"} in options
    assert {"type": "array", "items": {"$ref": "#/components/schemas/ScanIn"}} in options
    scan_in = schemas["ScanIn"]
    assert {"event_id", "code", "qty", "location", "type", "lot"} <= set(scan_in["properties"])
    assert "event_id" in scan_in["required"] and "code" in scan_in["required"]
    # Every reference in the document resolves.
    for ref in _refs(doc):
        name = ref.removeprefix("#/components/schemas/")
        assert name in schemas, f"dangling $ref {ref}"

    token = doc["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token
    product = schemas["ProductCreate"]
    assert {"sku", "name"} <= set(product["required"])


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def test_docs_page_serves(server: RunningServer) -> None:
    async with server.client(None) as c:
        r = await c.get("/docs")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert "swagger" in r.text.lower() and "/openapi.json" in r.text
        # Every asset the page loads is ours: no CDN (warehouse networks are often closed).
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
        for asset in assets:
            assert (await c.get(asset)).status_code == 200, asset
        r = await c.get("/redoc")
        assert r.status_code == 200 and "/docs-assets/redoc.standalone.js" in r.text
        r = await c.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")


async def test_unparsable_form_is_400_bad_request(server: RunningServer) -> None:
    async with server.client(None) as c:
        r = await c.post(
            "/api/auth/token",
            content=b"username=admin",
            headers={"content-type": "multipart/form-data"},
        )  # no boundary
        err = expect_error(r, 400, "bad_request")
        assert "boundary" in err["message"]
