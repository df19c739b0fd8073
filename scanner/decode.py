"""Decode the barcodes in an image: zxing-cpp first, zbar and OpenCV where it falls short.

The pipeline, and why (figures and the measurements behind them in docs/decoding.md):

1. A structure test (``imaging.survey``, 1-2 ms): block statistics of the frame. No
   patch of criss-crossing edges (a 2-D symbol) and no run of bars between two quiet
   zones (a 1-D symbol), and the frame is done. Most frames of a camera loop end here.
2. zxing-cpp on the grey frame, upright scan only, no inverted pass: about a third of
   the cost of its defaults, and it reads most symbols, with AIM identifiers and GS1
   content types. A turned 1-D symbol is left to step 4.
3. If a 2-D symbol may be there: zxing-cpp's DataMatrix reader with rotation (it misses
   some turned symbols without), and the negative for light-on-dark 2-D symbols.
4. Each run of bars the structure test found is cut out with its bars vertical, scaled
   to about 3 px per module, made dark-on-light, and given to zxing-cpp and to zbar
   (better at faint and blurred bars); then equalised (CLAHE) if faint, then inverted
   in case the polarity was misjudged, until the symbol is read.

Every read is checked before it is returned (check digits, ITF-14, GS1 element strings
through ``scanner.codes.interpret``). Reads of one symbol are grouped: a code found
twice is returned once (zxing-cpp's read preferred, it has the AIM identifier); two
values for one symbol are settled by the other passes and the other decoder, or both
are dropped. zxing-cpp alone returns such second, wrong EAN values on a few frames in
a thousand.
"""

from __future__ import annotations

import ctypes
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import zxingcpp

from scanner import imaging, symbology
from scanner.imaging import Gray, ImageError

try:  # zbar is optional: pyzbar raises ImportError when libzbar0 is not installed
    from pyzbar import wrapper as _zbar  # type: ignore[import-untyped]

    _zbar_modifiers: Any = _zbar.zbar_function(
        "zbar_symbol_get_modifiers", ctypes.c_uint, ctypes.POINTER(_zbar.zbar_symbol)
    )
except (ImportError, OSError, AttributeError):
    _zbar = None
    _zbar_modifiers = None

__all__ = [
    "ImageError",
    "Read",
    "decode",
    "engines_available",
    "is_valid",
    "missing_engine_notice",
]

ENGINES = ("zxing", "zbar")
_ZBAR_MOD_GS1 = 1 << 0  # zbar_modifier_t ZBAR_MOD_GS1: the symbol started with FNC1
_ZBAR_Y800 = 0x30303859  # fourcc "Y800": 8-bit grey
_ZBAR_MIN_QUALITY = 2  # zbar counts agreeing scan lines; one alone is a guess
_MODULE_PX = 3.0  # crops are scaled to about this many pixels per module
_FAINT = 100.0  # a crop with less contrast (grey levels) is also tried equalised


@dataclass(frozen=True, slots=True)
class Read:
    """One decoded symbol."""

    text: str  # decoded data, GS1 FNC1 separators as "\x1d", no AIM prefix
    raw: bytes
    symbology: str  # a stable name from scanner.symbology.SYMBOLOGIES
    aim: str  # AIM symbology identifier, "]E0"; "" when not known
    content_type: Literal["gs1", "plain"]
    position: tuple[tuple[int, int], ...]  # 4 corners (x, y) in the input image
    decoder: Literal["zxing", "zbar"]

    @property
    def code(self) -> str:
        """What a scanner with AIM identifiers switched on would send."""
        return self.aim + self.text

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``raw`` as hex, ``position`` as lists."""
        return {
            "text": self.text,
            "code": self.code,
            "raw": self.raw.hex(),
            "symbology": self.symbology,
            "aim": self.aim,
            "content_type": self.content_type,
            "position": [list(p) for p in self.position],
            "decoder": self.decoder,
        }


def engines_available() -> dict[str, bool]:
    """Which decoders can run here: zxing-cpp always, zbar when libzbar0 is installed."""
    return {"zxing": True, "zbar": _zbar is not None}


def missing_engine_notice() -> str | None:
    """One line for a log or a CLI when an optional decoder is missing, else None."""
    if _zbar is None:
        return (
            "pyzbar/libzbar0 not found: decoding with zxing-cpp only "
            "(apt-get install libzbar0 to add it)"
        )
    return None


def is_valid(read: Read) -> bool:
    """True unless the read carries a value no intact symbol holds (see ``symbology``)."""
    return symbology.rejection(read.symbology, read.text, read.aim) is None


def decode(
    image: npt.NDArray[Any] | bytes | bytearray,
    *,
    formats: Iterable[str] | None = None,
    engines: Sequence[str] | None = None,
) -> list[Read]:
    """Every code found in ``image`` (a grey/BGR/BGRA array, or PNG, JPEG or WebP bytes).

    ``formats`` limits the symbologies (stable names, ``scanner.symbology.SYMBOLOGIES``);
    fewer is faster. ``engines`` limits the decoders (default: every available one).
    Raises ``ImageError`` for what is not a usable image.
    """
    names = symbology.normalise(formats)
    use = _engines(engines)
    array = imaging.load(bytes(image)) if isinstance(image, bytes | bytearray) else image
    gray = imaging.to_gray(array)
    seen = imaging.survey(gray)
    regions = None
    if not seen.matrix:
        regions = imaging.linear_regions(gray, seen)
        if not regions:
            return []  # nothing barcode-like: most frames of a camera loop end here
    found = _Evidence(names)
    if "zxing" in use:
        found.add(_zxing(gray, names, _FRAME))
    else:
        found.add(_zbar_scan(gray, names, None, rows_only=False))
    if found.settled():
        return found.result()
    if "zxing" in use and seen.matrix:
        if names & _NEEDS_ROTATE:
            found.add(_zxing(gray, names & _NEEDS_ROTATE, _FRAME_ROTATED))
        if seen.matrix_inverted and names & _MATRIX:  # light on dark: a screen, a carton
            found.add(_zxing(imaging.invert(gray), names & _MATRIX, _FRAME))
        if found.settled():
            return found.result()
    if regions is None:
        regions = imaging.linear_regions(gray, seen)
    for region in regions:
        if found.covers(region):
            continue
        crop, back = imaging.rectify(gray, region, module_px=_MODULE_PX)
        if region.inverted:  # light bars on dark, as the scan line saw them
            crop = imaging.invert(crop)
        variants = [crop]
        if imaging.contrast(crop) < _FAINT:
            variants.append(imaging.clahe(crop))
        variants.append(imaging.invert(crop))  # in case the scan line saw it wrong
        for variant in variants:
            if "zxing" in use:
                found.add(_zxing(variant, names, _CROP, back))
            if "zbar" in use and not found.covers(region):
                found.add(_zbar_scan(variant, names, back, rows_only=True))
            if found.covers(region):
                break
    return found.result()


def _engines(engines: Sequence[str] | None) -> frozenset[str]:
    if engines is None:
        return frozenset(name for name, ok in engines_available().items() if ok)
    if isinstance(engines, str):
        raise TypeError("engines is a sequence of names, not a single string")
    chosen = frozenset(engines)
    unknown = chosen.difference(ENGINES)
    if unknown or not chosen:
        raise ValueError(f"engines must be a non-empty subset of {ENGINES}, got {engines!r}")
    if "zbar" in chosen and _zbar is None:
        raise ValueError(missing_engine_notice())
    return chosen


# --- collecting reads --------------------------------------------------------------------


@dataclass
class _Symbol:
    """What the passes read off one physical symbol: each value, and how many passes."""

    family: str
    reads: dict[str, Read] = field(default_factory=dict)  # value -> read (zxing-cpp's first)
    votes: Counter[str] = field(default_factory=Counter)  # value -> passes that read it
    decoders: dict[str, set[str]] = field(default_factory=dict)  # value -> who read it

    def value(self) -> str | None:
        """The value to trust: the only one; else the only one both decoders read; else a
        clear majority of at least two passes. A decoder's misread tends to recur when it
        is shown the same bars again, so agreement between decoders counts most."""
        ranked = self.votes.most_common(2)
        if len(ranked) == 1:
            return ranked[0][0]
        both = [v for v, who in self.decoders.items() if len(who) > 1]
        if len(both) == 1:
            return both[0]
        (top, n), (_, runner_up) = ranked
        return top if n >= 2 and n >= 2 * runner_up else None


class _Evidence:
    """Reads gathered by the passes: validated, grouped by symbol, voted on.

    A misread is rarely alone: zxing-cpp's EAN reader, on a scan line clipping the end of
    the bars, returns a second, wrong value for a symbol it also read right. Two values for
    one symbol are settled by further passes, or neither is returned.
    """

    def __init__(self, names: frozenset[str]) -> None:
        upc = {"EAN13", "UPCA"}  # one bar pattern: asking for either accepts both
        self.names = names | upc if names & upc else names
        self.symbols: list[_Symbol] = []

    def add(self, reads: Iterable[Read]) -> None:
        """One pass's reads: a pass votes once for each value it read."""
        voted: set[tuple[int, str]] = set()
        for read in reads:
            if read.symbology not in self.names or not is_valid(read):
                continue
            symbol = self._symbol_of(read)
            if (id(symbol), read.text) not in voted:
                voted.add((id(symbol), read.text))
                symbol.votes[read.text] += 1
                symbol.decoders.setdefault(read.text, set()).add(read.decoder)
            known = symbol.reads.get(read.text)
            if known is None or (known.decoder == "zbar" and read.decoder == "zxing"):
                symbol.reads[read.text] = read

    def _symbol_of(self, read: Read) -> _Symbol:
        family = _family(read.symbology)
        for symbol in self.symbols:
            if symbol.family == family and (
                read.text in symbol.reads
                or any(_same_symbol(r, read) for r in symbol.reads.values())
            ):
                return symbol
        symbol = _Symbol(family)
        self.symbols.append(symbol)
        return symbol

    def settled(self) -> bool:
        """Something was read, and no symbol has two values."""
        return bool(self.symbols) and all(len(s.votes) == 1 for s in self.symbols)

    def covers(self, region: imaging.Region) -> bool:
        """A symbol with a trusted value lies where ``region`` is."""
        for symbol in self.symbols:
            value = symbol.value()
            if value is not None:
                box = _bbox(symbol.reads[value].position)
                if _inside(region.centre, box, margin=0.25):
                    return True
        return False

    def result(self) -> list[Read]:
        reads = []
        for symbol in self.symbols:
            value = symbol.value()
            if value is not None:
                reads.append(symbol.reads[value])
        return sorted(reads, key=lambda r: (r.position[0][1], r.position[0][0]))


def _family(name: str) -> str:
    return "EAN/UPC" if name in symbology.EAN_UPC else name


def _same_symbol(a: Read, b: Read) -> bool:
    """True when two reads lie on one symbol: they overlap along ``a``'s reading direction
    and lie less than a symbol's length apart across it (the rows of one 1-D symbol)."""
    pa, pb = np.asarray(a.position, np.float64), np.asarray(b.position, np.float64)
    d = pa[1] - pa[0]  # top-left -> top-right: the reading direction
    length = float(np.hypot(*d))
    if length < 1:
        return _inside(_centre(a.position), _bbox(b.position))
    e = d / length
    normal = np.array([-e[1], e[0]])
    ta, tb = (pa - pa[0]) @ e, (pb - pa[0]) @ e
    overlap = min(ta.max(), tb.max()) - max(ta.min(), tb.min())
    shortest = min(ta.max() - ta.min(), tb.max() - tb.min())
    apart = abs(float((pb.mean(axis=0) - pa.mean(axis=0)) @ normal))
    return bool(overlap >= 0.5 * shortest and apart <= length)


def _centre(points: Sequence[tuple[int, int]]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _bbox(points: Sequence[tuple[int, int]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _inside(
    point: tuple[float, float], box: tuple[float, float, float, float], margin: float = 0.0
) -> bool:
    x0, y0, x1, y1 = box
    mx, my = (x1 - x0) * margin + 2, (y1 - y0) * margin + 2
    return x0 - mx <= point[0] <= x1 + mx and y0 - my <= point[1] <= y1 + my


# --- zxing-cpp ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ZxingPass:
    rotate: bool
    invert: bool
    downscale: bool


_FRAME = _ZxingPass(rotate=False, invert=False, downscale=True)
_FRAME_ROTATED = _ZxingPass(rotate=True, invert=False, downscale=True)
_CROP = _ZxingPass(rotate=False, invert=False, downscale=True)  # polarity set beforehand
# zxing-cpp's DataMatrix detector needs try_rotate for some turned symbols; the 1-D
# readers pay most for it, and a turned 1-D symbol is the region passes' job.
_NEEDS_ROTATE = frozenset({"DataMatrix"})
_MATRIX = frozenset({"QRCode", "MicroQRCode", "DataMatrix", "Aztec", "MaxiCode"})


@lru_cache(maxsize=64)
def _zxing_formats(names: frozenset[str]) -> zxingcpp.BarcodeFormats:
    return zxingcpp.BarcodeFormats(
        [getattr(zxingcpp.BarcodeFormat, f) for f in symbology.zxing_formats(names)]
    )


def _zxing(
    gray: Gray, names: frozenset[str], how: _ZxingPass, back: imaging.Affine | None = None
) -> list[Read]:
    barcodes = zxingcpp.read_barcodes(
        gray,
        formats=_zxing_formats(names),
        try_rotate=how.rotate,
        try_invert=how.invert,
        try_downscale=how.downscale,
        text_mode=zxingcpp.TextMode.Plain,
    )
    reads = []
    for b in barcodes:
        if not b.valid:
            continue
        text = b.text
        name = symbology.from_zxing(b.format.name, text)
        p = b.position
        corners = [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        position = tuple(corners) if back is None else imaging.map_points(corners, back)
        gs1 = b.content_type == zxingcpp.ContentType.GS1
        reads.append(
            Read(
                text,
                b.bytes,
                name,
                b.symbology_identifier,
                "gs1" if gs1 else "plain",
                position,
                "zxing",
            )
        )
    return reads


# --- zbar --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zbar_types(names: frozenset[str]) -> tuple[int, ...]:
    return tuple(int(_zbar.ZBarSymbol[s]) for s in symbology.zbar_symbols(names))


def _zbar_scan(
    gray: Gray, names: frozenset[str], back: imaging.Affine | None, *, rows_only: bool
) -> list[Read]:
    """zbar through its C API: pyzbar's ``decode`` hides the GS1 modifier and scan density."""
    types = _zbar_types(names)
    if not types:
        return []
    pixels = np.ascontiguousarray(gray)
    h, w = pixels.shape
    config = _zbar.ZBarConfig
    scanner = _zbar.zbar_image_scanner_create()
    image = _zbar.zbar_image_create()
    try:
        _zbar.zbar_image_scanner_set_config(scanner, 0, config.CFG_ENABLE, 0)
        for t in types:
            _zbar.zbar_image_scanner_set_config(scanner, t, config.CFG_ENABLE, 1)
        if rows_only:  # a rectified crop has vertical bars: horizontal scan lines suffice
            _zbar.zbar_image_scanner_set_config(scanner, 0, config.CFG_X_DENSITY, 0)
        _zbar.zbar_image_set_format(image, _ZBAR_Y800)
        _zbar.zbar_image_set_size(image, w, h)
        _zbar.zbar_image_set_data(image, pixels.ctypes.data, pixels.nbytes, None)
        if _zbar.zbar_scan_image(scanner, image) <= 0:
            return []
        return list(_zbar_symbols(image, back))
    finally:
        _zbar.zbar_image_destroy(image)
        _zbar.zbar_image_scanner_destroy(scanner)


def _zbar_symbols(image: object, back: imaging.Affine | None) -> Iterable[Read]:
    symbol = _zbar.zbar_image_first_symbol(image)
    while symbol:
        if _zbar.zbar_symbol_get_quality(symbol) >= _ZBAR_MIN_QUALITY:
            read = _zbar_read(symbol, back)
            if read is not None:
                yield read
        symbol = _zbar.zbar_symbol_next(symbol)


def _zbar_read(symbol: Any, back: imaging.Affine | None) -> Read | None:
    try:
        type_name = _zbar.ZBarSymbol(symbol.contents.type).name
    except ValueError:
        return None
    raw = ctypes.string_at(
        _zbar.zbar_symbol_get_data(symbol), _zbar.zbar_symbol_get_data_length(symbol)
    )
    text = raw.decode("utf-8", errors="replace")
    name = symbology.from_zbar(type_name, text)
    if name is None:
        return None
    text = symbology.ean13_form(name, text)
    gs1 = bool(_zbar_modifiers(symbol) & _ZBAR_MOD_GS1) or name.startswith("DataBar")
    n = _zbar.zbar_symbol_get_loc_size(symbol)
    points = [
        (_zbar.zbar_symbol_get_loc_x(symbol, i), _zbar.zbar_symbol_get_loc_y(symbol, i))
        for i in range(n)
    ]
    corners = _corners(points)
    position = corners if back is None else imaging.map_points(corners, back)
    aim = symbology.aim_for(name, text, gs1=gs1)
    return Read(text, raw, name, aim, "gs1" if gs1 else "plain", position, "zbar")


def _corners(points: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Top-left, top-right, bottom-right, bottom-left of the box around zbar's scan hits."""
    if not points:
        return ((0, 0),) * 4
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
