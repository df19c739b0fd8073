"""Images to reads, off the event loop: decoding is CPU-bound (OpenCV, zxing-cpp, zbar), so
at most ``concurrency`` images are decoded at once and requests beyond that wait their turn."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from scanner.decode import Read, decode, engines_available
from scanner.imaging import ImageError, load
from server import errors


@dataclass(frozen=True, slots=True)
class Decoded:
    reads: list[Read]
    width: int
    height: int
    cpu_ms: float


class ImageDecoder:
    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.engines = engines_available()

    async def decode(self, data: bytes) -> Decoded:
        if not data:
            raise errors.InvalidImage("The upload is empty: send a PNG, JPEG or WebP image.")
        async with self._slots:
            return await asyncio.to_thread(_decode, data)


def _decode(data: bytes) -> Decoded:
    started = time.thread_time()
    try:
        image = load(data)
        reads = decode(image)
    except ImageError as exc:
        raise errors.InvalidImage(f"{exc}: send a PNG, JPEG or WebP image.") from exc
    height, width = image.shape[:2]
    return Decoded(reads, int(width), int(height), (time.thread_time() - started) * 1000)
