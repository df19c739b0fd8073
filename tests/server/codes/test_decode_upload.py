"""``POST /api/decode``: a photo in, every barcode in it out, each resolved; bad uploads
get a clear 4xx and nothing else happens."""

from __future__ import annotations

import io

import barcode
import cv2
import numpy as np
import segno
from barcode.writer import ImageWriter

from tests.conftest import EAN_PLAIN, World, expect_error


def ean13_png(code: str) -> bytes:
    buf = io.BytesIO()
    barcode.get("ean13", code[:12], writer=ImageWriter()).write(
        buf, options={"write_text": False, "module_width": 0.4, "dpi": 200}
    )
    return buf.getvalue()


def two_codes_jpeg() -> bytes:
    """A 1280×720 'photo' with an EAN-13 and a QR code of a location side by side."""
    ean = cv2.imdecode(np.frombuffer(ean13_png(EAN_PLAIN), np.uint8), cv2.IMREAD_GRAYSCALE)
    qr_png = io.BytesIO()
    segno.make_qr("LOC-A1", error="m").save(qr_png, kind="png", scale=10, border=4)
    qr = cv2.imdecode(np.frombuffer(qr_png.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    canvas = np.full((720, 1280), 235, np.uint8)
    canvas[40 : 40 + ean.shape[0], 40 : 40 + ean.shape[1]] = ean
    canvas[300 : 300 + qr.shape[0], 800 : 800 + qr.shape[1]] = qr
    ok, jpeg = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return jpeg.tobytes()


async def test_a_photo_with_two_codes_resolves_both(world: World) -> None:
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/decode", files={"image": ("dock.jpg", two_codes_jpeg(), "image/jpeg")}
        )
        assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (1280, 720)
    assert body["engines"]["zxing"] is True and body["decode_ms"] > 0
    by_text = {read["text"]: read for read in body["reads"]}
    assert set(by_text) == {EAN_PLAIN, "LOC-A1"}, body
    ean = by_text[EAN_PLAIN]
    assert (ean["symbology"], ean["aim"]) == ("EAN13", "]E0")
    assert ean["resolved"]["kind"] == "product" and ean["resolved"]["product"]["sku"] == "PLAIN"
    assert len(ean["position"]) == 4
    loc = by_text["LOC-A1"]
    assert loc["symbology"] == "QRCode" and loc["resolved"]["kind"] == "location"


async def test_an_image_with_no_code_has_no_reads(world: World) -> None:
    noise = np.random.default_rng(7).integers(0, 255, (480, 640), np.uint8)
    ok, png = cv2.imencode(".png", noise)
    assert ok
    async with world.server.client("admin") as c:
        r = await c.post("/api/decode", files={"image": ("n.png", png.tobytes(), "image/png")})
    assert r.status_code == 200, r.text
    assert r.json()["reads"] == []


async def test_bad_uploads_are_clear_4xx(world: World) -> None:
    settings = world.server.settings
    async with world.server.client("admin") as c:
        r = await c.post("/api/decode", files={"image": ("a.png", b"", "image/png")})
        assert "empty" in expect_error(r, 422, "invalid_image")["message"]
        r = await c.post(
            "/api/decode", files={"image": ("a.png", b"%PDF-1.7 not a picture", "image/png")}
        )
        expect_error(r, 422, "invalid_image")
        r = await c.post(
            "/api/decode", files={"image": ("a.png", ean13_png(EAN_PLAIN)[:200], "image/png")}
        )
        expect_error(r, 422, "invalid_image")  # truncated PNG
        big = b"\x89PNG" + b"\0" * (settings.max_image_bytes + 1)
        r = await c.post("/api/decode", files={"image": ("big.png", big, "image/png")})
        expect_error(r, 413, "payload_too_large")
        r = await c.post("/api/decode", data={"nothing": "here"})
        expect_error(r, 422, "validation_error")
    async with world.server.client(None) as c:
        r = await c.post(
            "/api/decode", files={"image": ("a.png", ean13_png(EAN_PLAIN), "image/png")}
        )
        expect_error(r, 401, "not_authenticated")


async def test_other_endpoints_keep_the_small_body_limit(world: World) -> None:
    settings = world.server.settings
    async with world.server.client("admin") as c:
        r = await c.post(
            "/api/scans",
            content=b"[" + b" " * settings.max_body_bytes + b"]",
            headers={"content-type": "application/json"},
        )
        expect_error(r, 413, "payload_too_large")
