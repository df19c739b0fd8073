"""A camera as a scanner: a real video file (MJPG .avi with rendered labels) through the
scanner library's frame decoder on a thread; a live source that fails is reopened."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import barcode
import cv2
import httpx
import numpy as np
import segno
import tomli_w
from barcode.writer import ImageWriter

from hardware.agent import Agent
from hardware.camera import CameraSource
from hardware.config import parse_config
from hardware.link import Backoff
from scanner.decode import Read
from tests.hardware.helpers import FakeServer, fake_server, reading, until

EAN = "5901234123457"
QR_TEXT = "LOC-A1"


def _png(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def labels() -> tuple[np.ndarray, np.ndarray]:
    ean = io.BytesIO()
    barcode.get("ean13", EAN[:12], writer=ImageWriter()).write(ean, {"module_width": 0.4})
    qr = io.BytesIO()
    segno.make(QR_TEXT, error="m").save(qr, kind="png", scale=8, border=4)
    return _png(ean.getvalue()), _png(qr.getvalue())


def video(path: Path) -> Path:
    """2 s at 10 fps: empty, the EAN-13 in view for 1 s, empty, the QR code for 0.5 s."""
    ean, qr = labels()
    size = (800, 600)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    assert writer.isOpened()

    def frame(label: np.ndarray | None) -> np.ndarray:
        canvas = np.full((size[1], size[0], 3), 255, np.uint8)
        if label is not None:
            h, w = label.shape[:2]
            y, x = (size[1] - h) // 2, (size[0] - w) // 2
            canvas[y : y + h, x : x + w] = label
        return canvas

    for label in [None] * 3 + [ean] * 10 + [None] * 2 + [qr] * 5:
        writer.write(frame(label))
    writer.release()
    return path


async def test_a_video_file_is_read_once_per_label(tmp_path: Path) -> None:
    source = CameraSource(str(video(tmp_path / "labels.avi")), holdoff=5.0)
    assert source.is_file
    async with reading(source) as reads:
        await reads.wait(2, timeout=60)
        await until(lambda: source.health.state == "disconnected", timeout=60)  # played once
    assert [(r.text, r.aim) for r in reads.items] == [(EAN, "]E0"), (QR_TEXT, "]Q1")]
    ean = reads.items[0]
    assert ean.code == "]E0" + EAN and ean.symbology == "EAN13"
    corners = ean.extra["position"]
    assert len(corners) == 4 and all(len(p) == 2 for p in corners)
    assert ean.extra["decoder"] in ("zxing", "zbar")


def fake_read(text: str) -> Read:
    return Read(
        text=text,
        raw=text.encode(),
        symbology="Code128",
        aim="]C0",
        content_type="plain",
        position=((0, 0), (10, 0), (10, 5), (0, 5)),
        decoder="zxing",
    )


async def test_a_live_source_that_fails_is_reopened() -> None:
    calls: list[dict[str, Any]] = []

    def reader(source: str | int, **kw: Any) -> Iterator[Read]:
        calls.append({"source": source, **kw})
        if len(calls) == 1:
            raise RuntimeError("cannot open camera 0")
        yield fake_read(f"CODE-{len(calls)}")
        stop: threading.Event = kw["stop"]
        if len(calls) == 2:
            return  # the stream ended: reopen
        stop.wait()

    source = CameraSource(0, holdoff=0.5, max_fps=5, backoff=Backoff(0.01, 0.02), reader=reader)
    seen: list[tuple[str, str | None]] = []
    source.health.listeners.append(lambda h: seen.append((h.state, h.error)))
    async with reading(source) as reads:
        assert await reads.wait(2) == ["CODE-2", "CODE-3"]
    assert ("error", "0: RuntimeError: cannot open camera 0") in seen
    assert calls[0]["holdoff"] == 0.5 and calls[0]["max_fps"] == 5
    assert reads.items[0].extra == {
        "decoder": "zxing",
        "position": [[0, 0], [10, 0], [10, 5], [0, 5]],
    }


async def test_a_camera_device_in_the_agent(tmp_path: Path) -> None:
    clip = video(tmp_path / "labels.avi")
    async with fake_server(FakeServer()) as fake:
        host = fake.url.removeprefix("ws://").removesuffix("/ws/scans")
        text = tomli_w.dumps(
            {
                "server": f"http://{host}",
                "outbox": str(tmp_path / "outbox.db"),
                "device": [
                    {
                        "name": "cam-1",
                        "kind": "camera",
                        "source": str(clip),
                        "api_key": "jxcd_camera_key",
                    }
                ],
            }
        )
        agent = Agent(
            parse_config(text), health_transport=httpx.MockTransport(lambda _: httpx.Response(404))
        )
        assert isinstance(agent.sources["cam-1"], CameraSource)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        try:
            await until(lambda: len(fake.received) == 2, timeout=60)
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
    assert [s["code"] for s in fake.received] == ["]E0" + EAN, "]Q1" + QR_TEXT]
