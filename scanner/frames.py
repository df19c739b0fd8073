"""Decode a stream of frames and report each code once per appearance, not once per frame.

A camera sees a label for dozens of frames while it is held in view; a picker wants one
scan. ``FrameDecoder`` remembers when each code (symbology + text) was last seen and
reports it again only after it has been out of sight for longer than ``holdoff``.
``read_video`` drives one from a file, a camera index or a stream URL through OpenCV.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from scanner.decode import Read, decode
from scanner.imaging import ImageError

__all__ = ["FrameDecoder", "VideoError", "read_video"]

_MAX_TRACKED = 4096  # codes remembered at once; the oldest is forgotten beyond this


class VideoError(OSError):
    """A video source that OpenCV cannot open."""


class FrameDecoder:
    """Decode frames one at a time, suppressing codes already reported and still in view."""

    def __init__(
        self,
        *,
        holdoff: float = 1.0,
        formats: Iterable[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not math.isfinite(holdoff) or holdoff < 0:
            raise ValueError(f"holdoff must be a finite number of seconds >= 0, got {holdoff!r}")
        self.holdoff = holdoff
        self.formats = None if formats is None else tuple(formats)
        self._clock = clock
        self._last_seen: dict[tuple[str, str], float] = {}

    def feed(self, frame: npt.NDArray[Any]) -> list[Read]:
        """The reads in ``frame`` that were not seen in the last ``holdoff`` seconds."""
        now = self._clock()
        reads = decode(frame, formats=self.formats)
        return self.observe(reads, now)

    def observe(self, reads: Iterable[Read], now: float) -> list[Read]:
        """Apply the hold-off to reads decoded elsewhere, seen at time ``now``."""
        fresh = []
        for read in reads:
            key = (read.symbology, read.text)
            last = self._last_seen.pop(key, None)  # re-inserted last: the dict stays in age order
            if last is None or now - last > self.holdoff:
                fresh.append(read)
            self._last_seen[key] = now
        self._forget(now)
        return fresh

    def _forget(self, now: float) -> None:
        """Drop codes out of sight for longer than the hold-off, and bound the memory."""
        seen = self._last_seen  # oldest sighting first (see ``observe``)
        while seen:
            key, last = next(iter(seen.items()))
            if now - last <= self.holdoff and len(seen) <= _MAX_TRACKED:
                break
            del seen[key]


def read_video(
    source: str | int,
    *,
    holdoff: float = 1.0,
    formats: Iterable[str] | None = None,
    max_fps: float | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Read]:
    """Reads from a video file, a camera (device index) or a stream URL (``rtsp://…``).

    Each code is yielded when it comes into view (see ``FrameDecoder``). A file is timed
    by its own timestamps, so the result does not depend on how fast this machine
    decodes; a camera or a stream by the wall clock. ``max_fps`` caps how many frames per
    second are decoded (the others are skipped unread). Ends at the end of a file, when
    a camera or stream stops delivering frames, or when ``stop`` is set. Raises
    ``VideoError`` if the source cannot be opened.
    """
    if max_fps is not None and not max_fps > 0:
        raise ValueError(f"max_fps must be > 0, got {max_fps!r}")
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"cannot open video source {source!r}")
    try:
        file_time = _is_file(source) and capture.get(cv2.CAP_PROP_FPS) > 0
        clock: Callable[[], float]
        if file_time:

            def clock() -> float:
                return float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0

        else:
            clock = time.monotonic
        frames = FrameDecoder(holdoff=holdoff, formats=formats, clock=clock)
        due = -math.inf
        while stop is None or not stop.is_set():
            if not capture.grab():
                return
            now = clock()
            if max_fps is not None:
                if now < due:
                    continue  # skipped: grabbed, never decoded
                due = now + 1.0 / max_fps
            ok, frame = capture.retrieve()
            if not ok or frame is None:
                return
            try:
                reads = decode(np.asarray(frame, dtype=np.uint8), formats=frames.formats)
            except ImageError:
                continue  # an empty or damaged frame from the device
            yield from frames.observe(reads, now)
    finally:
        capture.release()


def _is_file(source: str | int) -> bool:
    return isinstance(source, str) and "://" not in source and Path(source).exists()
