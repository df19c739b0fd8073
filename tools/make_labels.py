#!/usr/bin/env python
"""Render labelled barcode images for the decoder tests and ``bench/decode.py``.

Each sample is a camera-like frame (BGR, 640×480 or 1280×720) showing one code of a known
symbology and value under one condition (clean, rotated, blurred, noisy, low contrast,
tilted, small, mixed), or no code at all (noise, gradients, text-like clutter, stripes, a
photo-like texture). Symbols are encoded by the libraries a label printer would use
(python-barcode, segno, libdmtx, pdf417gen); this module only rasterises and perturbs
them. Everything is seeded: the same arguments give the same pixels and labels.

    python tools/make_labels.py OUTDIR [--seed N] [--variants N] [--sizes 640x480,1280x720]

writes ``OUTDIR/<name>.png`` and ``OUTDIR/labels.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import string
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pdf417gen  # type: ignore[import-untyped]
import segno
from barcode.codex import Code128, Gs1_128  # type: ignore[import-untyped]
from barcode.ean import EAN13  # type: ignore[import-untyped]
from barcode.itf import ITF  # type: ignore[import-untyped]
from barcode.upc import UPCA  # type: ignore[import-untyped]

with warnings.catch_warnings():  # pylibdmtx 0.1.10 checks libdmtx with distutils' LooseVersion
    warnings.filterwarnings("ignore", "distutils Version classes", DeprecationWarning)
    from pylibdmtx import wrapper as dmtx  # type: ignore[import-untyped]
    from pylibdmtx.pylibdmtx import _encoder as dmtx_encoder  # type: ignore[import-untyped]

Gray = npt.NDArray[np.uint8]
Float = npt.NDArray[np.float32]
Quad = tuple[tuple[int, int], ...]

SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))
KINDS = ("ean13", "upca", "code128", "gs1-128", "itf14", "qr", "gs1-datamatrix", "pdf417")
CONDITIONS = ("clean", "rotate", "blur", "noise", "contrast", "tilt", "small", "mixed")
EMPTY_KINDS = ("noise", "gradient", "clutter", "stripes", "texture")
GS = "\x1d"  # FNC1 as transmitted inside a GS1 element string
_HI = 4  # pixels per module when a symbol is first drawn, before it is scaled into a scene


@dataclass(frozen=True, slots=True)
class Label:
    """What a frame shows: ``symbology`` is None on a frame with no code."""

    name: str
    condition: str
    width: int
    height: int
    symbology: str | None = None
    text: str | None = None  # as decode() returns it: FNC1 as "\x1d", no AIM prefix
    aim: str | None = None
    content_type: str | None = None  # "gs1" | "plain"
    kind: str | None = None  # which generator: ean13, gs1-128, ...
    quad: Quad | None = None  # the symbol's corners in the frame (quiet zone excluded)

    @property
    def code(self) -> str | None:
        return None if self.text is None else f"{self.aim}{self.text}"


@dataclass(frozen=True, slots=True)
class Sample:
    label: Label
    image: npt.NDArray[np.uint8]  # BGR


@dataclass(frozen=True, slots=True)
class Symbol:
    """A code drawn black on white at ``_HI`` px per module, quiet zone included."""

    card: Gray
    bars: tuple[int, int, int, int]  # x0, y0, x1, y1 of the symbol itself within the card
    linear: bool
    symbology: str
    text: str
    aim: str
    content_type: str


def _f32(values: object) -> Float:
    return np.asarray(values, dtype=np.float32)


# --- values ------------------------------------------------------------------------------


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of ``digits`` (the number without its check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _digits(rng: np.random.Generator, n: int, first: str = "") -> str:
    return first + "".join(str(int(d)) for d in rng.integers(0, 10, n - len(first)))


def _gtin(rng: np.random.Generator, length: int, first: str = "") -> str:
    body = _digits(rng, length - 1, first)
    return body + check_digit(body)


def _word(rng: np.random.Generator, n: int, alphabet: str) -> str:
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


def _lot(rng: np.random.Generator) -> str:
    return _word(rng, int(rng.integers(4, 9)), string.ascii_uppercase + string.digits)


def _yymmdd(rng: np.random.Generator) -> str:
    day = date(2025, 1, 1) + timedelta(days=int(rng.integers(0, 1500)))
    return day.strftime("%y%m%d")


# --- symbols -----------------------------------------------------------------------------


def _linear(
    modules: str, *, height: int, quiet: int, hri: str
) -> tuple[Gray, tuple[int, int, int, int]]:
    """Bars from a python-barcode module string ("1" = bar), with the text printed under."""
    bits = np.array([c == "1" for c in modules], dtype=bool)
    row = np.where(bits, 0, 255).astype(np.uint8)
    row = np.concatenate([np.full(quiet, 255, np.uint8), row, np.full(quiet, 255, np.uint8)])
    row = np.repeat(row, _HI)
    bars = np.tile(row, (height * _HI, 1))
    top = 2 * _HI
    card = np.full((bars.shape[0] + 16 * _HI, bars.shape[1]), 255, np.uint8)
    card[top : top + bars.shape[0]] = bars
    scale = _HI * 0.32
    (tw, _), _ = cv2.getTextSize(hri, cv2.FONT_HERSHEY_SIMPLEX, scale, _HI)
    x = max(0, (card.shape[1] - tw) // 2)
    y = top + bars.shape[0] + 10 * _HI
    cv2.putText(card, hri, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, _HI, cv2.LINE_AA)
    box = (quiet * _HI, top, (quiet + len(modules)) * _HI, top + bars.shape[0])
    return card, box


def _matrix(matrix: npt.NDArray[np.bool_], quiet: int) -> tuple[Gray, tuple[int, int, int, int]]:
    """A 2-D symbol from its module matrix (True = dark)."""
    img = np.where(matrix, 0, 255).astype(np.uint8)
    img = np.pad(img, quiet, constant_values=255)
    card = np.repeat(np.repeat(img, _HI, axis=0), _HI, axis=1)
    h, w = matrix.shape
    return card, (quiet * _HI, quiet * _HI, (quiet + w) * _HI, (quiet + h) * _HI)


def _datamatrix(data: bytes, *, gs1: bool) -> npt.NDArray[np.bool_]:
    """libdmtx, with FNC1 (GS1 DataMatrix) set through its encoder property."""
    with dmtx_encoder() as enc:
        prop = dmtx.DmtxProperty
        dmtx.dmtxEncodeSetProp(enc, prop.DmtxPropScheme, dmtx.DmtxScheme.DmtxSchemeAscii)
        dmtx.dmtxEncodeSetProp(
            enc, prop.DmtxPropSizeRequest, dmtx.DmtxSymbolSize.DmtxSymbolSquareAuto
        )
        dmtx.dmtxEncodeSetProp(enc, prop.DmtxPropModuleSize, 1)
        dmtx.dmtxEncodeSetProp(enc, prop.DmtxPropMarginSize, 0)
        if gs1:
            dmtx.dmtxEncodeSetProp(enc, prop.DmtxPropFnc1, ord(GS))
            data = GS.encode() + data
        buffer = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
        if not dmtx.dmtxEncodeDataMatrix(enc, len(data), buffer):
            raise ValueError(f"libdmtx could not encode {data!r}")
        image = enc[0].image
        w = dmtx.dmtxImageGetProp(image, prop.DmtxPropWidth)
        h = dmtx.dmtxImageGetProp(image, prop.DmtxPropHeight)
        bpp = dmtx.dmtxImageGetProp(image, prop.DmtxPropBitsPerPixel)
        pixels = ctypes.string_at(image[0].pxl, w * h * bpp // 8)
    plane = np.frombuffer(pixels, np.uint8).reshape(h, w, bpp // 8)[:, :, 0]
    return plane < 128


def _pdf417(text: str) -> npt.NDArray[np.bool_]:
    codes = pdf417gen.encode(text, columns=4, security_level=3)
    pil = pdf417gen.render_image(codes, scale=1, ratio=3, padding=0)
    return np.asarray(pil.convert("L")) < 128


def make_symbol(kind: str, rng: np.random.Generator) -> Symbol:
    """A random, valid code of one ``kind`` and what a decoder should report for it."""
    if kind == "ean13":
        value = _gtin(rng, 13, str(int(rng.integers(1, 10))))  # a leading 0 is a UPC-A
        card, box = _linear(EAN13(value).build()[0], height=60, quiet=11, hri=value)
        return Symbol(card, box, True, "EAN13", value, "]E0", "plain")
    if kind == "upca":
        value = _gtin(rng, 12)
        card, box = _linear(UPCA(value).build()[0], height=60, quiet=11, hri=value)
        # UPC-A travels as the EAN-13 it is, with a leading 0 (AIM ]E0, 13 digits).
        return Symbol(card, box, True, "UPCA", "0" + value, "]E0", "plain")
    if kind == "code128":
        value = "10D9T" if rng.random() < 0.5 else f"{_lot(rng)}-{_digits(rng, 3)}"
        card, box = _linear(Code128(value).build()[0], height=40, quiet=10, hri=value)
        return Symbol(card, box, True, "Code128", value, "]C0", "plain")
    if kind == "gs1-128":
        gtin, day, lot = _gtin(rng, 14, "0"), _yymmdd(rng), _lot(rng)
        qty = str(int(rng.integers(1, 500)))
        text = f"01{gtin}17{day}10{lot}{GS}30{qty}"
        modules = Gs1_128(text.replace(GS, Gs1_128.FNC1_CHAR)).build()[0]
        hri = f"(01){gtin}(17){day}(10){lot}(30){qty}"
        card, box = _linear(modules, height=40, quiet=10, hri=hri)
        return Symbol(card, box, True, "Code128", text, "]C1", "gs1")
    if kind == "itf14":
        value = _gtin(rng, 14, "1")
        card, box = _linear(ITF(value, narrow=1, wide=3).build()[0], height=45, quiet=10, hri=value)
        return Symbol(card, box, True, "ITF", value, "]I1", "plain")
    if kind == "qr":
        value = f"https://example.com/p/{_digits(rng, 6)}?lot={_lot(rng)}"
        card, box = _matrix(np.array(segno.make(value, error="m").matrix, dtype=bool), 4)
        return Symbol(card, box, False, "QRCode", value, "]Q1", "plain")
    if kind == "gs1-datamatrix":
        text = f"01{_gtin(rng, 14, '0')}17{_yymmdd(rng)}10{_lot(rng)}{GS}21{_digits(rng, 8)}"
        card, box = _matrix(_datamatrix(text.encode(), gs1=True), 2)
        return Symbol(card, box, False, "DataMatrix", text, "]d2", "gs1")
    if kind == "pdf417":
        value = f"DOC:{_lot(rng)};QTY={int(rng.integers(1, 999))};LOC=A-{_digits(rng, 2)}"
        card, box = _matrix(_pdf417(value), 2)
        return Symbol(card, box, False, "PDF417", value, "]L2", "plain")
    raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")


# --- scenes ------------------------------------------------------------------------------


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int) -> Float:
    """Low-frequency noise in [0, 1]: a small random grid scaled up smoothly."""
    small = rng.random((max(2, cells * h // w), cells)).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(big.min()), float(big.max())
    return (big - lo) / max(hi - lo, 1e-6)


def _background(rng: np.random.Generator, w: int, h: int) -> Float:
    """A desk or carton: mid-grey, textured, in [0, 1]."""
    base = float(rng.uniform(0.35, 0.7))
    tex = 0.15 * _smooth_noise(rng, w, h, 8) + 0.05 * _smooth_noise(rng, w, h, 40)
    return (base + tex - 0.1).astype(np.float32)


def _lighting(rng: np.random.Generator, w: int, h: int, strength: float) -> Float:
    """A linear illumination gradient with values in [1 - strength, 1]."""
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.float32(np.cos(angle) / w) * np.arange(w, dtype=np.float32)
    ys = np.float32(np.sin(angle) / h) * np.arange(h, dtype=np.float32)
    ramp = ys[:, None] + xs[None, :]
    lo, hi = float(ramp.min()), float(ramp.max())
    return 1.0 - np.float32(strength / max(hi - lo, 1e-6)) * (ramp - np.float32(lo))


@dataclass(frozen=True, slots=True)
class _Params:
    fill: float  # the symbol's card spans this fraction of the frame's width or height
    angle: float  # degrees
    tilt: float  # perspective foreshortening of one side, 0..0.4
    blur: float  # Gaussian sigma in pixels
    noise: float  # Gaussian noise sigma in grey levels
    contrast: float  # grey levels between ink and paper
    lighting: float  # illumination fall-off across the frame


def _params(condition: str, linear: bool, rng: np.random.Generator) -> _Params:
    u = rng.uniform
    fill = u(0.5, 0.75) if linear else u(0.35, 0.6)
    base = _Params(fill, u(-3, 3), 0.0, u(0.3, 0.6), u(1, 3), u(150, 210), u(0, 0.15))
    if condition == "clean":
        return base
    if condition == "rotate":
        return _replace(base, angle=u(8, 352))
    if condition == "blur":
        return _replace(base, blur=u(1.2, 2.2))
    if condition == "noise":
        return _replace(base, noise=u(14, 30))
    if condition == "contrast":
        return _replace(base, contrast=u(25, 40), lighting=u(0.1, 0.3))
    if condition == "tilt":
        return _replace(base, tilt=u(0.2, 0.4), angle=u(-10, 10))
    if condition == "small":
        return _replace(base, fill=u(0.25, 0.4) if linear else u(0.14, 0.22))
    if condition == "mixed":
        picks = rng.choice(["rotate", "blur", "noise", "contrast", "tilt"], 2, replace=False)
        p = base
        for pick in picks:
            q = _params(str(pick), linear, rng)
            p = _replace(
                p,
                angle=q.angle if pick in ("rotate", "tilt") else p.angle,
                tilt=max(p.tilt, q.tilt * 0.75),
                blur=max(p.blur, q.blur * 0.75),
                noise=max(p.noise, q.noise * 0.75),
                contrast=min(p.contrast, q.contrast * 1.3),
                lighting=max(p.lighting, q.lighting),
            )
        return p
    raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")


def _replace(p: _Params, **changes: float) -> _Params:
    return _Params(**{**asdict(p), **changes})


def _place(
    symbol: Symbol, p: _Params, w: int, h: int, rng: np.random.Generator
) -> tuple[Float, Quad]:
    """The scene in [0, 1] (the card scaled, rotated, tilted onto a background) and where
    the symbol's corners landed."""
    card = symbol.card
    scale = p.fill * min(w / card.shape[1], h / card.shape[0])
    small = cv2.resize(card, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ch, cw = small.shape
    src = _f32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    quad = src - _f32([cw / 2, ch / 2])
    if p.tilt:  # the far side of the label is shorter: shrink one edge toward its middle
        side = int(rng.integers(0, 4))
        a, b = side, (side + 1) % 4
        mid = (quad[a] + quad[b]) / 2
        quad[a] = mid + (quad[a] - mid) * (1 - p.tilt)
        quad[b] = mid + (quad[b] - mid) * (1 - p.tilt)
    theta = np.deg2rad(p.angle)
    rot = _f32([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    quad = quad @ rot.T
    span = quad.max(axis=0) - quad.min(axis=0)
    room = np.maximum(_f32([w, h]) - span, 0) / 2
    centre = _f32([w / 2, h / 2]) + rng.uniform(-1, 1, 2).astype(np.float32) * room * 0.8
    quad = (quad + centre).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, quad)
    paper = small.astype(np.float32) / 255.0 * float(rng.uniform(0.85, 1.0))
    warped = cv2.warpPerspective(paper, m, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones_like(paper), m, (w, h), flags=cv2.INTER_LINEAR)
    bg = _background(rng, w, h)
    x0, y0, x1, y1 = (v * scale for v in symbol.bars)
    corners = _f32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
    landed = cv2.perspectiveTransform(corners, m)[0]
    where = tuple((round(float(x)), round(float(y))) for x, y in landed)
    return (bg * (1 - mask) + warped * mask).astype(np.float32), where


def _finish(scene: Float, p: _Params, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Light, ink contrast, optics and sensor noise: scene in [0, 1] -> BGR frame."""
    h, w = scene.shape
    scene = scene * _lighting(rng, w, h, p.lighting)
    lo = float(rng.uniform(15, 255 - p.contrast - 10))
    img = lo + p.contrast * scene
    if p.blur > 0:
        img = _f32(cv2.GaussianBlur(img, (0, 0), p.blur))
    img += np.float32(p.noise) * rng.standard_normal(img.shape, dtype=np.float32)
    return _tinted(img, rng)


def _tinted(img: Float, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A grey float image as a slightly coloured BGR frame (decoders must convert it)."""
    np.clip(img, 0, 255, out=img)
    tint = rng.uniform(0.9, 1.05, 3)
    return np.asarray(cv2.merge([cv2.convertScaleAbs(img, alpha=float(t)) for t in tint]), np.uint8)


def _empty(kind: str, w: int, h: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A frame with no code in it, of one of ``EMPTY_KINDS``."""
    if kind == "noise":
        mean, sigma = float(rng.uniform(60, 190)), float(rng.uniform(10, 45))
        img = mean + np.float32(sigma) * rng.standard_normal((h, w), dtype=np.float32)
    elif kind == "gradient":
        img = 40 + 180 * (1 - _lighting(rng, w, h, 1.0))
        img = img + 3 * rng.standard_normal((h, w), dtype=np.float32)
    elif kind == "clutter":  # printed text, rules and boxes: edges everywhere, no symbol
        page = np.full((h, w), int(rng.integers(170, 235)), np.uint8)
        scale = w / 640
        for _ in range(int(rng.integers(25, 45))):
            x, y = int(rng.integers(0, w - 40)), int(rng.integers(20, h))
            text = _word(rng, int(rng.integers(3, 14)), string.ascii_letters + string.digits + " ")
            size = float(rng.uniform(0.4, 1.4)) * scale
            grey = int(rng.integers(0, 90))
            font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX]))
            thick = max(1, round(float(rng.uniform(1, 2.5)) * scale))
            cv2.putText(page, text, (x, y), font, size, grey, thick, cv2.LINE_AA)
        for _ in range(int(rng.integers(3, 8))):
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.rectangle(page, p1, p2, int(rng.integers(0, 120)), int(rng.integers(1, 4)))
        img = _f32(cv2.GaussianBlur(page.astype(np.float32), (0, 0), 0.7))
    elif kind == "stripes":  # shelving, blinds, corrugated board: parallel edges, no code
        period = float(rng.uniform(8, 30)) * w / 640
        widths = rng.uniform(0.3 * period, 1.2 * period, 2 * w).cumsum()
        dark = np.searchsorted(widths, np.arange(w, dtype=np.float64)) % 2 == 0
        row = np.where(dark, 60.0, 200.0).astype(np.float32)
        img = np.tile(row, (h, 1))
        theta = float(rng.uniform(-30, 30))
        rot = cv2.getRotationMatrix2D((w / 2, h / 2), theta, 1.3)
        img = _f32(cv2.warpAffine(img, rot, (w, h), borderMode=cv2.BORDER_REFLECT))
        img = _f32(cv2.GaussianBlur(img, (0, 0), 1.0)) + 4 * rng.standard_normal(
            (h, w), dtype=np.float32
        )
    elif kind == "texture":  # a photo-like surface: wood, fabric, a crumpled bag
        img = 255 * (
            0.5 * _smooth_noise(rng, w, h, 6)
            + 0.3 * _smooth_noise(rng, w, h, 30)
            + 0.2 * _smooth_noise(rng, w, h, 120)
        )
        for _ in range(int(rng.integers(3, 9))):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            axes = (int(rng.integers(10, w // 4)), int(rng.integers(10, h // 4)))
            colour = float(rng.uniform(0, 255))
            cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        img = cv2.GaussianBlur(img, (0, 0), 1.5) + 5 * rng.standard_normal((h, w), dtype=np.float32)
    else:
        raise ValueError(f"unknown empty kind {kind!r}; expected one of {EMPTY_KINDS}")
    return _tinted(img.astype(np.float32), rng)


# --- samples -----------------------------------------------------------------------------


def _rng(seed: int, *parts: str | int) -> np.random.Generator:
    """One independent generator per sample, so any subset renders the same pixels."""
    key = [
        seed,
        *(p if isinstance(p, int) else int.from_bytes(p.encode()[:8], "big") for p in parts),
    ]
    return np.random.default_rng(key)


def code_sample(
    kind: str, condition: str, size: tuple[int, int] = (640, 480), variant: int = 0, seed: int = 0
) -> Sample:
    """One frame with one code of ``kind`` under ``condition``."""
    w, h = size
    rng = _rng(seed, kind, condition, w, h, variant)
    symbol = make_symbol(kind, rng)
    p = _params(condition, symbol.linear, rng)
    scene, quad = _place(symbol, p, w, h, rng)
    image = _finish(scene, p, rng)
    name = f"{kind}-{condition}-{w}x{h}-{variant}"
    s = symbol
    label = Label(name, condition, w, h, s.symbology, s.text, s.aim, s.content_type, kind, quad)
    return Sample(label, image)


def empty_sample(
    kind: str, size: tuple[int, int] = (640, 480), variant: int = 0, seed: int = 0
) -> Sample:
    """One frame with no code in it."""
    w, h = size
    image = _empty(kind, w, h, _rng(seed, "empty", kind, w, h, variant))
    return Sample(Label(f"empty-{kind}-{w}x{h}-{variant}", f"empty-{kind}", w, h), image)


def samples(
    *,
    kinds: Iterable[str] = KINDS,
    conditions: Iterable[str] = CONDITIONS,
    sizes: Iterable[tuple[int, int]] = SIZES,
    variants: int = 3,
    empty_kinds: Iterable[str] = EMPTY_KINDS,
    empty_variants: int = 3,
    seed: int = 0,
) -> Iterator[Sample]:
    """Every combination of size × kind × condition × variant, then the no-code frames."""
    kinds, conditions, empty_kinds = list(kinds), list(conditions), list(empty_kinds)
    for size in sizes:
        for kind in kinds:
            for condition in conditions:
                for variant in range(variants):
                    yield code_sample(kind, condition, size, variant, seed)
        for empty in empty_kinds:
            for variant in range(empty_variants):
                yield empty_sample(empty, size, variant, seed)


def write(out: Path, items: Iterable[Sample]) -> list[Label]:
    """Write each sample as ``<name>.png`` and all labels as ``labels.json`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for sample in items:
        if not cv2.imwrite(str(out / f"{sample.label.name}.png"), sample.image):
            raise OSError(f"could not write {out / sample.label.name}.png")
        labels.append(sample.label)
    (out / "labels.json").write_text(
        json.dumps([asdict(label) for label in labels], indent=1, ensure_ascii=True) + "\n"
    )
    return labels


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.partition("x")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, default=3, help="frames per kind × condition")
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    args = parser.parse_args(argv)
    items = samples(
        kinds=args.kinds.split(","),
        conditions=args.conditions.split(","),
        sizes=[_size(s) for s in args.sizes.split(",")],
        variants=args.variants,
        seed=args.seed,
    )
    labels = write(args.outdir, items)
    print(f"wrote {len(labels)} images and labels.json to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
