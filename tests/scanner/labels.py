"""Helpers for the decoder tests: labelled frames from tools/make_labels.py, the zbar
requirement, and the two decoders called alone, as a user would, for comparison."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import zxingcpp

from scanner import symbology
from scanner.decode import Read, engines_available
from tools.make_labels import Label, Sample, code_sample, empty_sample, samples

__all__ = [
    "Label",
    "Sample",
    "code_sample",
    "empty_sample",
    "encode",
    "matches",
    "require_zbar",
    "samples",
    "write_video",
    "zbar_alone",
    "zxing_alone",
]

IN_CI = bool(os.environ.get("CI"))
Frame = npt.NDArray[np.uint8]


def require_zbar() -> None:
    """Skip (loudly) without libzbar0, unless CI is set: there its absence is a failure."""
    if engines_available()["zbar"]:
        return
    reason = "pyzbar cannot load libzbar0"
    if IN_CI:
        pytest.fail(f"{reason}, and CI is set: the zbar tests must run", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {reason}; apt-get install libzbar0 to run the zbar tests")


def matches(read: Read, label: Label) -> bool:
    """The read says exactly what the label says: value, symbology, AIM id, content type."""
    return (read.text, read.symbology, read.aim, read.content_type) == (
        label.text,
        label.symbology,
        label.aim,
        label.content_type,
    )


def encode(image: Frame, ext: str, *params: int) -> bytes:
    """The frame as PNG, JPEG or WebP bytes."""
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok, f"OpenCV could not encode {ext}"
    return buf.tobytes()


def write_video(path: Path, frames: Sequence[Frame], fps: float) -> Path:
    """An MJPG AVI file (what opencv-python-headless writes without extra codecs)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


def zxing_alone(formats: Sequence[str]) -> Callable[[Frame], list[str]]:
    """zxing-cpp with its defaults, formats restricted: the values it returns."""
    wanted = zxingcpp.BarcodeFormats(
        [getattr(zxingcpp.BarcodeFormat, f) for f in symbology.zxing_formats(frozenset(formats))]
    )

    def run(frame: Frame) -> list[str]:
        found = zxingcpp.read_barcodes(frame, formats=wanted, text_mode=zxingcpp.TextMode.Plain)
        return [b.text for b in found]

    return run


def zbar_alone(formats: Sequence[str]) -> Callable[[Frame], list[str]]:
    """pyzbar's ``decode`` on the grey frame, symbols restricted: the values it returns."""
    from pyzbar import pyzbar  # type: ignore[import-untyped]  # only after require_zbar()

    symbols = [pyzbar.ZBarSymbol[s] for s in symbology.zbar_symbols(frozenset(formats))]

    def run(frame: Frame) -> list[str]:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        return [d.data.decode("utf-8", "replace") for d in pyzbar.decode(grey, symbols=symbols)]

    return run
