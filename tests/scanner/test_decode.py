"""scanner.decode against labelled frames rendered by tools/make_labels.py.

Each frame knows what it shows, so every read is checked against its label: value,
symbology, AIM identifier, content type. A read with any other value fails a test,
whatever the frame.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from scanner import decode as decode_module
from scanner import symbology
from scanner.codes import interpret
from scanner.decode import (
    ImageError,
    Read,
    decode,
    engines_available,
    is_valid,
    missing_engine_notice,
)
from tests.scanner.labels import (
    Sample,
    code_sample,
    empty_sample,
    encode,
    matches,
    require_zbar,
    samples,
    zbar_alone,
    zxing_alone,
)
from tools.make_labels import CONDITIONS, EMPTY_KINDS, KINDS

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ("EAN13", "UPCA", "Code128", "ITF", "QRCode", "DataMatrix", "PDF417")
HD = (1280, 720)


@pytest.fixture
def zbar() -> None:
    require_zbar()


# --- every symbology, clean ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_clean_frame_reads_exactly_its_label(kind: str) -> None:
    sample = code_sample(kind, "clean", HD)
    reads = decode(sample.image)  # all symbologies enabled, as the API and CLI call it
    assert len(reads) == 1, reads
    read = reads[0]
    assert matches(read, sample.label), (read, sample.label)
    assert read.code == f"{sample.label.aim}{sample.label.text}"
    assert is_valid(read)
    # the corners land on the symbol: each within 4 % of the frame of the label's corners
    assert sample.label.quad is not None
    quad = np.array(sample.label.quad, dtype=float)
    slack = 0.04 * max(HD)
    lo, hi = quad.min(axis=0) - slack, quad.max(axis=0) + slack
    for corner in read.position:
        assert np.all(corner >= lo) and np.all(corner <= hi), (read.position, sample.label.quad)


def test_gs1_symbols_come_back_as_gs1_with_fnc1() -> None:
    for kind, aim in (("gs1-128", "]C1"), ("gs1-datamatrix", "]d2")):
        sample = code_sample(kind, "clean", HD)
        (read,) = decode(sample.image, formats=FORMATS)
        assert (read.aim, read.content_type) == (aim, "gs1")
        assert "\x1d" in read.text and not read.text.startswith("\x1d")
        _, data = interpret(read.code)
        assert data is not None and data.gtin == read.text[2:16] and data.lot


def test_plain_code128_that_looks_like_an_element_string_stays_plain() -> None:
    sample = next(
        s
        for v in range(20)
        if (s := code_sample("code128", "clean", (640, 480), v)).label.text == "10D9T"
    )
    (read,) = decode(sample.image)
    assert (read.text, read.symbology, read.aim, read.content_type) == (
        "10D9T",
        "Code128",
        "]C0",
        "plain",
    )
    assert interpret(read.code) == ("10D9T", None)


# --- a set of hard frames: never a wrong value, at least what either decoder reads ---------


@pytest.fixture(scope="module")
def hard_set() -> list[tuple[Sample, list[Read]]]:
    """Every symbology under every condition, and frames with no code; with decode()'s reads."""
    frames = samples(
        kinds=KINDS,
        conditions=CONDITIONS,
        sizes=[(640, 480)],
        variants=1,
        empty_kinds=EMPTY_KINDS,
        empty_variants=2,
        seed=7,
    )
    return [(sample, decode(sample.image, formats=FORMATS)) for sample in frames]


def test_no_wrong_value_and_nothing_on_frames_without_a_code(
    hard_set: list[tuple[Sample, list[Read]]],
) -> None:
    wrong = [
        (sample.label.name, read.text, read.symbology, read.aim)
        for sample, reads in hard_set
        for read in reads
        if sample.label.text is None or not matches(read, sample.label)
    ]
    assert wrong == []
    assert sum(sample.label.text is None for sample, _ in hard_set) == 2 * len(EMPTY_KINDS)


def test_reads_every_frame_either_decoder_reads_alone_and_more(
    hard_set: list[tuple[Sample, list[Read]]], zbar: None
) -> None:
    alone = [zxing_alone(FORMATS), zbar_alone(FORMATS)]
    either, ours = set(), set()
    for sample, reads in hard_set:
        label = sample.label
        if label.text is None:
            continue
        if any(label.text in run(sample.image) for run in alone):
            either.add(label.name)
        if any(matches(r, label) for r in reads):
            ours.add(label.name)
    assert either, "the frame set is too hard for either decoder: it tests nothing"
    assert either - ours == set()
    assert ours - either, "the preprocessing passes recovered nothing"


def test_turned_and_inverted_linear_symbols_are_read() -> None:
    sample = code_sample("ean13", "clean", (640, 480))
    turned = cv2.rotate(sample.image, cv2.ROTATE_90_CLOCKWISE)
    for image in (turned, cv2.bitwise_not(sample.image), cv2.bitwise_not(turned)):
        reads = decode(image, formats=FORMATS)
        assert [r.text for r in reads] == [sample.label.text]


def test_inverted_matrix_symbol_is_read() -> None:
    sample = code_sample("qr", "clean", (640, 480))
    (read,) = decode(cv2.bitwise_not(sample.image))
    assert matches(read, sample.label)


@pytest.fixture(scope="module")
def misread_by_zxing() -> Sample:
    # zxing-cpp 3.1 alone returns this EAN-13 twice: right, and (from scan lines clipping
    # the bars' ends) as 8801478523235, a wrong value with a valid check digit.
    return code_sample("ean13", "clean", (640, 480), variant=0, seed=1)


def test_a_second_value_for_one_symbol_is_never_returned(misread_by_zxing: Sample) -> None:
    texts = [r.text for r in decode(misread_by_zxing.image, formats=FORMATS)]
    assert "8801478523235" not in texts
    assert texts in ([], [misread_by_zxing.label.text])  # without zbar: both dropped


def test_the_other_decoder_settles_which_value_is_right(
    misread_by_zxing: Sample, zbar: None
) -> None:
    texts = [r.text for r in decode(misread_by_zxing.image, formats=FORMATS)]
    assert texts == [misread_by_zxing.label.text]


# --- validation of reads -------------------------------------------------------------------


def _read(
    text: str,
    name: str,
    aim: str,
    position: tuple[tuple[int, int], ...] = ((0, 0), (9, 0), (9, 9), (0, 9)),
    decoder: Literal["zxing", "zbar"] = "zbar",
) -> Read:
    return Read(text, text.encode(), name, aim, "plain", position, decoder)


@pytest.mark.parametrize(
    ("text", "name", "aim", "valid"),
    [
        ("5901234123457", "EAN13", "]E0", True),
        ("5901234123458", "EAN13", "]E0", False),  # check digit off by one
        ("0036000291452", "UPCA", "]E0", True),
        ("0036000291453", "UPCA", "]E0", False),
        ("96385074", "EAN8", "]E4", True),
        ("96385075", "EAN8", "]E4", False),
        ("01234565", "UPCE", "]E0", True),
        ("01234566", "UPCE", "]E0", False),
        ("590123412345", "EAN13", "]E0", False),  # too short
        ("15400141288763", "ITF", "]I1", True),
        ("15400141288764", "ITF", "]I1", False),
        ("12345670", "ITF", "]I1", False),  # a fragment of an ITF-14, valid mod 10
        ("0109506000134352\x1d10AB", "Code128", "]C1", True),
        ("0109506000134353\x1d10AB", "Code128", "]C1", False),  # GTIN check digit
        ("010950600013435217131399", "Code128", "]C1", False),  # no 13th month
        ("10D9T", "Code128", "]C0", True),
        ("https://example.com/p/1", "QRCode", "]Q1", True),
    ],
)
def test_validation_drops_values_no_intact_symbol_holds(
    text: str, name: str, aim: str, valid: bool
) -> None:
    assert is_valid(_read(text, name, aim)) is valid
    assert (symbology.rejection(name, text, aim) is None) is valid


def test_two_values_for_one_symbol_need_the_other_decoder_or_a_majority() -> None:
    evidence = decode_module._Evidence(frozenset(FORMATS))
    right, wrong = "8807478583835", "8801478523235"
    row = ((10, 10), (300, 10), (300, 20), (10, 20))
    lower = ((10, 60), (300, 60), (300, 70), (10, 70))
    evidence.add(
        [_read(right, "EAN13", "]E0", row, "zxing"), _read(wrong, "EAN13", "]E0", lower, "zxing")]
    )
    assert not evidence.settled() and evidence.result() == []
    # the same decoder again, on another pass: still a tie
    evidence.add(
        [_read(right, "EAN13", "]E0", row, "zxing"), _read(wrong, "EAN13", "]E0", lower, "zxing")]
    )
    assert evidence.result() == []
    evidence.add([_read(right, "EAN13", "]E0", row, "zbar")])  # the other decoder agrees
    assert [r.text for r in evidence.result()] == [right]
    assert evidence.result()[0].decoder == "zxing"  # zxing-cpp's read is the one returned


def test_the_same_code_found_by_both_decoders_is_returned_once() -> None:
    evidence = decode_module._Evidence(frozenset(FORMATS))
    pos = ((10, 10), (300, 10), (300, 90), (10, 90))
    evidence.add([_read("5901234123457", "EAN13", "", pos, "zbar")])
    evidence.add([_read("5901234123457", "EAN13", "]E0", pos, "zxing")])
    assert [(r.decoder, r.aim) for r in evidence.result()] == [("zxing", "]E0")]


# --- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ext", "params"),
    [
        (".png", ()),
        (".jpg", (cv2.IMWRITE_JPEG_QUALITY, 90)),
        (".webp", (cv2.IMWRITE_WEBP_QUALITY, 90)),
    ],
)
def test_image_bytes_decode_like_the_array(ext: str, params: tuple[int, ...]) -> None:
    sample = code_sample("qr", "clean", (640, 480))
    data = encode(sample.image, ext, *params)
    reads = decode(data)
    assert [matches(r, sample.label) for r in reads] == [True]
    assert decode(bytearray(data))[0].text == sample.label.text


def test_transparent_png_is_read_as_if_on_white() -> None:
    sample = code_sample("qr", "clean", (640, 480))
    grey = cv2.cvtColor(sample.image, cv2.COLOR_BGR2GRAY)
    ink_only = np.zeros((*grey.shape, 4), np.uint8)  # black, opaque where the ink is
    ink_only[:, :, 3] = 255 - grey
    assert [r.text for r in decode(encode(ink_only, ".png"))] == [sample.label.text]


def test_jpeg_exif_orientation_is_applied_so_positions_match_the_picture() -> None:
    sample = code_sample("ean13", "clean", (640, 480))
    stored = cv2.rotate(sample.image, cv2.ROTATE_90_COUNTERCLOCKWISE)  # as a phone stores it
    picture = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=95, exif=exif)
    (read,) = decode(out.getvalue())
    assert read.text == sample.label.text
    assert sample.label.quad is not None
    xs, ys = zip(*sample.label.quad, strict=True)
    cx = sum(p[0] for p in read.position) / 4
    cy = sum(p[1] for p in read.position) / 4
    assert min(xs) <= cx <= max(xs) and min(ys) <= cy <= max(ys)


def test_grey_and_bgra_arrays_decode() -> None:
    sample = code_sample("ean13", "clean", (640, 480))
    grey = cv2.cvtColor(sample.image, cv2.COLOR_BGR2GRAY)
    bgra = cv2.cvtColor(sample.image, cv2.COLOR_BGR2BGRA)
    for image in (grey, grey[:, :, None], bgra):
        assert [r.text for r in decode(image)] == [sample.label.text]


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"GIF89a\x01\x00\x01\x00",  # an image, but not one of PNG, JPEG, WebP
        _png_header(640, 480),  # a header and nothing after it
        _png_header(20_000, 20_000) + b"\x00" * 64,  # 400 MP: refused unread
        _png_header(2, 2) + b"\x00" * 64,  # too small to hold a code
        b"\xff\xd8\xff\xe0" + b"\x00" * 32,  # a JPEG start without a frame header
        b"RIFF\x10\x00\x00\x00WEBPVP8X",  # a truncated WebP header
    ],
)
def test_not_an_image_raises_image_error(data: bytes) -> None:
    with pytest.raises(ImageError):
        decode(data)


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((480, 640), np.float32),
        np.zeros((480, 640, 2), np.uint8),
        np.zeros((4, 4), np.uint8),
        np.zeros((10, 10, 3, 1), np.uint8),
    ],
)
def test_unusable_arrays_raise_image_error(array: npt.NDArray[Any]) -> None:
    with pytest.raises(ImageError):
        decode(array)


def test_formats_restrict_and_are_checked() -> None:
    sample = code_sample("ean13", "clean", (640, 480))
    assert decode(sample.image, formats=["QRCode"]) == []
    assert [r.symbology for r in decode(sample.image, formats=["EAN13"])] == ["EAN13"]
    with pytest.raises(symbology.UnknownSymbology):
        decode(sample.image, formats=["EAN-13"])
    with pytest.raises(TypeError):
        decode(sample.image, formats="EAN13")


def test_as_dict_is_json_ready() -> None:
    sample = code_sample("gs1-128", "clean", HD)
    (read,) = decode(sample.image)
    out = json.loads(json.dumps(read.as_dict()))
    assert out["text"] == read.text and out["code"] == read.code
    assert bytes.fromhex(out["raw"]) == read.raw
    assert out["position"] == [list(p) for p in read.position]
    assert (out["aim"], out["content_type"], out["decoder"]) == ("]C1", "gs1", "zxing")


def test_empty_frames_read_nothing_with_every_symbology_enabled() -> None:
    for kind in EMPTY_KINDS:
        for size in ((640, 480), HD):
            assert decode(empty_sample(kind, size).image) == [], kind


# --- engines -------------------------------------------------------------------------------


def test_engines_with_zbar(zbar: None) -> None:
    assert engines_available() == {"zxing": True, "zbar": True}
    assert missing_engine_notice() is None


def test_zbar_reads_get_derived_aim_identifiers(zbar: None) -> None:
    cases = [("ean13", "EAN13", "]E0"), ("upca", "UPCA", "]E0"), ("gs1-128", "Code128", "]C1")]
    for kind, name, aim in cases:
        sample = code_sample(kind, "clean", HD)
        (read,) = decode(sample.image, engines=["zbar"])
        assert read.decoder == "zbar"
        assert matches(read, sample.label) and (read.symbology, read.aim) == (name, aim)


def test_without_zbar_decoding_goes_on_with_zxing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_module, "_zbar", None)
    assert engines_available() == {"zxing": True, "zbar": False}
    assert missing_engine_notice() == (
        "pyzbar/libzbar0 not found: decoding with zxing-cpp only "
        "(apt-get install libzbar0 to add it)"
    )
    sample = code_sample("upca", "clean", (640, 480))
    assert [r.decoder for r in decode(sample.image)] == ["zxing"]
    with pytest.raises(ValueError, match="libzbar0"):
        decode(sample.image, engines=["zbar"])


def test_importing_without_pyzbar_does_not_fail() -> None:
    probe = (
        "import sys; sys.modules['pyzbar'] = None\n"  # any import of pyzbar now fails
        "from scanner.decode import engines_available, missing_engine_notice\n"
        "print(engines_available()['zbar'], missing_engine_notice() is not None)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_unknown_engine_is_refused() -> None:
    image = code_sample("ean13", "clean", (640, 480)).image
    with pytest.raises(ValueError, match="engines"):
        decode(image, engines=["opencv"])
