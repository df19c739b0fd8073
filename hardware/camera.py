"""A camera as a scanner: the scanner library's frame-stream decoder (OpenCV capture of a
device index, a video file or an RTSP URL) on its own thread, so decoding never blocks the
event loop. The decoder already drops a code seen again within the hold-off; a live camera
that stops delivering frames is reopened with backoff, a video file is played once."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from hardware.aio import closing, iterate_in_thread
from hardware.link import Backoff, Health, describe
from hardware.reads import Decoded
from scanner.decode import Read
from scanner.frames import read_video

log = logging.getLogger("jxc.agent.camera")

VideoReader = Callable[..., Iterator[Read]]


def jsonable(value: Any) -> Any:
    """Image positions and the like as plain JSON (numpy arrays and tuples to lists)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def decoded(read: Read) -> Decoded:
    extra: dict[str, Any] = {"decoder": read.decoder}
    if read.position is not None:
        extra["position"] = jsonable(read.position)
    return Decoded(
        text=read.text,
        raw=bytes(read.raw),
        aim=read.aim or None,
        symbology=read.symbology,
        extra=extra,
    )


class CameraSource:
    """Decodes barcodes from a video source; ``holdoff`` is the decoder's de-duplication
    window (a code in view stays one read), ``max_fps`` caps the decoding rate."""

    kind = "camera"

    def __init__(
        self,
        source: str | int,
        *,
        holdoff: float = 1.0,
        formats: list[str] | None = None,
        max_fps: float | None = None,
        health: Health | None = None,
        backoff: Backoff | None = None,
        reader: VideoReader = read_video,
    ) -> None:
        self.source, self.holdoff, self.formats, self.max_fps = source, holdoff, formats, max_fps
        self.health = health or Health()
        self.backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        self.reader = reader
        self.is_file = isinstance(source, str) and Path(source).is_file()

    def _frames(self, stop: threading.Event) -> Iterator[Read]:
        return self.reader(
            self.source,
            holdoff=self.holdoff,
            formats=self.formats,
            max_fps=self.max_fps,
            stop=stop,
        )

    async def reads(self) -> AsyncIterator[Decoded]:
        where = str(self.source)
        while True:
            self.health.up()
            reason = "the video ended"
            try:
                frames = iterate_in_thread(self._frames, maxsize=64, name=f"camera {where}")
                async with closing(frames):
                    async for read in frames:
                        self.backoff.reset()
                        yield decoded(read)
            except Exception as exc:  # OpenCV and the decoders raise their own types
                reason = describe(exc)
                self.health.fail(f"{where}: {reason}")
                log.warning("camera %s: %s", where, reason)
            if self.is_file:
                self.health.down(f"{where}: {reason}")
                return
            if self.health.state != "error":
                self.health.down(f"{where}: {reason}")
            await asyncio.sleep(self.backoff.next())
