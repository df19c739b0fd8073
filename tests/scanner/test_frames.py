"""scanner.frames: a code is reported when it comes into view, not on every frame."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from scanner import frames as frames_module
from scanner.decode import Read, decode
from scanner.frames import FrameDecoder, VideoError, read_video
from tests.scanner.labels import Sample, code_sample, empty_sample, write_video

SIZE = (640, 480)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def ean() -> Sample:
    return code_sample("ean13", "clean", SIZE)


@pytest.fixture(scope="module")
def qr() -> Sample:
    return code_sample("qr", "clean", SIZE)


@pytest.fixture(scope="module")
def nothing() -> Sample:
    return empty_sample("texture", SIZE)


def test_a_code_in_view_is_reported_once_and_again_after_it_left(
    ean: Sample, qr: Sample, nothing: Sample
) -> None:
    clock = FakeClock()
    decoder = FrameDecoder(holdoff=1.0, clock=clock)
    timeline = [
        (0.0, ean, [ean]),  # comes into view
        (0.5, ean, []),  # stays
        (1.2, ean, []),  # still there: first seen longer ago than the hold-off, but seen all along
        (1.4, nothing, []),  # leaves
        (2.0, ean, []),  # back after 0.8 s out of view: within the hold-off
        (2.3, qr, [qr]),  # another code
        (3.5, ean, [ean]),  # back after 1.5 s out of view: reported again
        (3.6, qr, [qr]),  # 1.3 s after the QR code was last seen
    ]
    for now, sample, expected in timeline:
        clock.now = now
        reads = decoder.feed(sample.image)
        assert [r.text for r in reads] == [s.label.text for s in expected], now


def _read(text: str) -> Read:
    return Read(text, text.encode(), "Code128", "]C0", "plain", ((0, 0),) * 4, "zxing")


def test_holdoff_rules_on_reads() -> None:
    decoder = FrameDecoder(holdoff=0.5)
    a, b = _read("A-1"), _read("B-2")
    assert decoder.observe([a, b], 0.0) == [a, b]
    assert decoder.observe([a, a], 0.1) == []  # twice in one frame: once at most
    assert decoder.observe([b], 0.5) == []  # exactly the hold-off since last seen: still held
    assert decoder.observe([a], 0.65) == [a]  # last seen 0.55 s ago
    same_text_other_symbology = Read("A-1", b"A-1", "Code39", "]A0", "plain", ((0, 0),) * 4, "zbar")
    assert decoder.observe([same_text_other_symbology], 0.7) == [same_text_other_symbology]


def test_holdoff_zero_reports_every_new_instant_and_bad_holdoff_is_refused() -> None:
    decoder = FrameDecoder(holdoff=0.0)
    a = _read("A-1")
    assert decoder.observe([a], 1.0) == [a]
    assert decoder.observe([a], 1.0) == []
    assert decoder.observe([a], 1.01) == [a]
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="holdoff"):
            FrameDecoder(holdoff=bad)


def test_memory_is_bounded() -> None:
    decoder = FrameDecoder(holdoff=1e9)
    for i in range(frames_module._MAX_TRACKED + 50):
        decoder.observe([_read(f"C-{i}")], float(i))
    assert len(decoder._last_seen) == frames_module._MAX_TRACKED


def test_formats_are_passed_on(ean: Sample) -> None:
    decoder = FrameDecoder(formats=["QRCode"], clock=FakeClock())
    assert decoder.feed(ean.image) == []


# --- video --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def video(
    tmp_path_factory: pytest.TempPathFactory, ean: Sample, qr: Sample, nothing: Sample
) -> Path:
    """10 frames/s, two 640×480 views side by side: the EAN in view 0.0-0.4 s, nothing
    0.5-1.9 s, the EAN back at 2.0-2.4 s with the QR code joining at 2.2 s, nothing after."""
    blank = nothing.image

    def frame(left: Sample | None, right: Sample | None) -> npt.NDArray[np.uint8]:
        return np.hstack(
            [blank if left is None else left.image, blank if right is None else right.image]
        )

    timeline = (
        [frame(ean, None)] * 5
        + [frame(None, None)] * 15
        + [frame(ean, None)] * 2
        + [frame(ean, qr)] * 3
        + [frame(None, None)] * 5
    )
    return write_video(tmp_path_factory.mktemp("video") / "codes.avi", timeline, fps=10.0)


def test_read_video_reports_a_code_when_it_comes_back(video: Path, ean: Sample, qr: Sample) -> None:
    texts = [r.text for r in read_video(str(video), holdoff=1.0)]
    assert texts == [ean.label.text, ean.label.text, qr.label.text]


def test_read_video_holdoff_spans_the_gap(video: Path, ean: Sample, qr: Sample) -> None:
    texts = [r.text for r in read_video(str(video), holdoff=2.0)]
    assert texts == [ean.label.text, qr.label.text]  # 1.6 s out of view < 2 s hold-off


def test_read_video_max_fps_decodes_fewer_frames(
    video: Path, ean: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0

    def counting(image: npt.NDArray[np.uint8], formats: Sequence[str] | None = None) -> list[Read]:
        nonlocal calls
        calls += 1
        return decode(image, formats=formats)

    monkeypatch.setattr("scanner.frames.decode", counting)
    texts = [r.text for r in read_video(str(video), holdoff=1.0, max_fps=2.0)]
    assert calls == 6  # 3 s of video at 2 frames/s: t = 0.0, 0.5, ... 2.5
    assert texts == [ean.label.text, ean.label.text]  # the QR code was in no decoded frame


def test_read_video_stops_when_told(video: Path, ean: Sample) -> None:
    stop = threading.Event()
    stream: Iterator[Read] = read_video(str(video), holdoff=0.0, stop=stop)
    first = next(stream)
    assert first.text == ean.label.text
    stop.set()
    assert list(stream) == []
    stop_first = threading.Event()
    stop_first.set()
    assert list(read_video(str(video), stop=stop_first)) == []


def test_read_video_refuses_what_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="cannot open video source"):
        list(read_video(str(tmp_path / "missing.avi")))
    text = tmp_path / "notes.txt"
    text.write_text("not a video\n")
    with pytest.raises(VideoError):
        list(read_video(str(text)))
    with pytest.raises(ValueError, match="max_fps"):
        list(read_video(str(text), max_fps=0))
    assert issubclass(VideoError, OSError)


def test_video_writer_round_trip_is_decodable(video: Path) -> None:
    capture = cv2.VideoCapture(str(video))
    try:
        assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
    finally:
        capture.release()
