"""OpenCV image handling for the decoders: load, grey, look for symbols, cut them out.

OpenCV prepares pixels here; it never decodes (its ``cv2.barcode`` returned wrong EAN
values that pass the check digit). ``survey`` and ``linear_regions`` are the cheap
structure test that lets the decoder skip its passes on a frame with nothing
barcode-like in it; ``rectify`` cuts a 1-D symbol out with its bars upright and its
modules wide enough for either decoder. Every image from outside is bounded: 64 MB of
file, 40 MP of pixels, its size read from the header before anything is decoded.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
Affine = npt.NDArray[np.float64]  # 2×3, maps one image's (x, y) to another's

MAX_PIXELS = 40_000_000  # a 40 MP photo is the largest image decoded; more is refused
MAX_BYTES = 64 * 1024 * 1024
MIN_SIDE = 8

_WORK = 640  # the region finder looks at the frame scaled to this longest side
_BLOCK = 8  # ... in blocks of this many pixels
_LINEAR_COHERENCE = 0.75  # gradient direction agreement within a block (1 = all parallel)
_CLUSTER_COHERENCE = 0.5  # ... and across a cluster (tilt fans the bars out; text mixes them)
_MIN_ENERGY = 6.0  # mean squared gradient (grey levels², Sobel/8) of a block that counts
_MIN_ACROSS = 4  # a 1-D symbol spans at least this many blocks across its bars
_MIN_BLOCKS = 8
_MIN_MATRIX_BLOCKS = 6
_MATRIX_SHARE = 0.2  # a 2-D symbol's edges are among the frame's strongest: this share
# of the 99th percentile of block energy, not the faint clutter of a surface
_NOISY = 30.0  # median block energy in no direction above which noise hides structure
_MIN_PIECE = 3  # smaller block clusters are ignored, larger ones may be joined (below)
_MERGE_ANGLE = math.radians(8)
_MERGE_GAP = 3.0  # blocks
_MAX_PIECES = 8
_BAND = 32  # rows averaged along the bars for a scan line (noise falls by sqrt(rows))
_EDGE_LEVEL = 0.3  # a profile edge crosses this many standard deviations around the mean
_MIN_EDGES = 20  # the shortest Code 128 has 25 bar/space edges, an EAN-8 43
_QUIET_TRIES = 12  # how many of the widest gaps are tried as a quiet zone
# A symbol's quiet zones (>= 7 X) are wider than its widest bar or space (4 X, or a few
# merged by blur); in stripes and shelving no gap stands out like that.
_QUIET_OVER_WIDEST = 1.3
_ELEMENT_MODULES = 1.7  # bars and spaces average about 1.7 modules in EAN, 128, ITF


class ImageError(ValueError):
    """Not an image this library decodes: unreadable, empty or absurdly large."""


@dataclass(frozen=True, slots=True)
class Region:
    """A barcode-like area: a rotated box in image coordinates, bars across ``angle``.

    ``angle`` is the direction, in degrees, of the intensity gradient across the bars
    (0 means vertical bars, read left to right or right to left).
    """

    centre: tuple[float, float]
    across: float  # extent along the gradient (across the bars), pixels
    along: float  # extent along the bars, pixels
    angle: float
    score: float  # how strongly and coherently structured; regions come best first
    module: float | None = None  # estimated module width, pixels, when a scan line saw it
    inverted: bool | None = False  # light bars on dark, as the scan line saw the end
    # bars; None when the two ends disagree


# --- loading -----------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[str, int, int]:
    """``(format, width, height)`` from a PNG, JPEG or WebP header, without decoding.

    Lets the caller refuse a decompression bomb before a single pixel is allocated.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "png", w, h
    if data[:3] == b"\xff\xd8\xff":
        return ("jpeg", *_jpeg_size(data))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("webp", *_webp_size(data))
    raise ImageError("not a PNG, JPEG or WebP image")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ImageError("corrupt JPEG: marker expected")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    raise ImageError("corrupt JPEG: no frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    raise ImageError("corrupt WebP: unknown or truncated header")


def load(data: bytes) -> npt.NDArray[np.uint8]:
    """Decode PNG, JPEG or WebP bytes, refusing anything over ``MAX_PIXELS`` unread."""
    if not data:
        raise ImageError("empty image data")
    if len(data) > MAX_BYTES:
        raise ImageError(f"image data of {len(data)} bytes is over {MAX_BYTES}")
    fmt, w, h = image_size(data)
    _check_size(w, h)
    # A JPEG from a phone is stored sideways with an EXIF orientation: IMREAD_COLOR turns
    # it upright, so positions match the picture as shown. PNG and WebP keep their alpha.
    flags = cv2.IMREAD_COLOR if fmt == "jpeg" else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None or image.size == 0:
        raise ImageError(f"undecodable {fmt.upper()} data")
    if image.dtype == np.uint16:  # 16-bit PNG
        image = cv2.convertScaleAbs(image, alpha=1 / 257)
    return np.asarray(image, dtype=np.uint8)


def _check_size(w: int, h: int) -> None:
    if w < MIN_SIDE or h < MIN_SIDE:
        raise ImageError(f"image of {w}×{h} pixels is too small to hold a code")
    if w * h > MAX_PIXELS:
        raise ImageError(f"image of {w}×{h} pixels is over the {MAX_PIXELS / 1e6:.0f} MP bound")


def to_gray(image: npt.NDArray[Any]) -> Gray:
    """An 8-bit single-channel view or copy of a grey, BGR or BGRA image array (BGRA as if
    laid on white)."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a numpy array or image bytes, got {type(image).__name__}")
    if image.ndim not in (2, 3) or image.size == 0:
        raise ImageError(f"expected a non-empty 2-D or 3-D image array, got shape {image.shape}")
    _check_size(int(image.shape[1]), int(image.shape[0]))
    if image.dtype != np.uint8:
        raise ImageError(f"expected 8-bit pixels (uint8), got {image.dtype}")
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    channels = image.shape[2]
    if channels == 1:
        return np.ascontiguousarray(image[:, :, 0])
    if channels == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    if channels == 4:  # on white paper: a code drawn on a transparent background shows
        grey = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY).astype(np.uint16)
        alpha = image[:, :, 3].astype(np.uint16)
        return np.asarray((grey * alpha + 255 * (255 - alpha)) // 255, dtype=np.uint8)
    raise ImageError(f"expected 1, 3 or 4 channels, got {channels}")


# --- the structure test ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Survey:
    """What the block statistics of a frame show, before any scan line is drawn."""

    clusters: list[Region]  # blocks with strong parallel edges: 1-D symbols, or stripes
    matrix: bool  # a compact patch of criss-crossing edges (a 2-D symbol?), or too noisy to tell
    matrix_inverted: bool = False  # ... with a darker surround: light on dark?


def survey(gray: Gray) -> Survey:
    """The cheap first look, about a millisecond or two at any frame size.

    The frame is reduced to ``_WORK`` pixels on its longest side and described by 8×8
    block means of the structure tensor (gx², gy², gx·gy): a 1-D symbol is a cluster of
    blocks whose gradients are strong and parallel, a 2-D symbol a patch of strong
    gradients running several ways.
    """
    blocks = _blocks(gray)
    if blocks is None:
        return Survey([], False)
    return Survey(_clusters(blocks), *_matrix_like(blocks))


def linear_regions(gray: Gray, seen: Survey, *, limit: int = 3) -> list[Region]:
    """The clusters that a scan line confirms as 1-D symbols, most promising first.

    The scan line across a cluster must show a run of bars between two quiet zones
    (``_scan_line``), which stripes, shelving and text do not.
    """
    regions = []
    for candidate in seen.clusters[: limit + 1]:
        region = _scan_line(gray, candidate)
        if region is not None:
            regions.append(region)
            if len(regions) == limit:
                break
    return regions


@dataclass(frozen=True, slots=True)
class _Blocks:
    """The structure tensor averaged over 8×8 blocks of the frame reduced to ``_WORK``."""

    mean: npt.NDArray[np.float32]  # mean grey level
    energy: npt.NDArray[np.float32]  # mean gx² + gy²
    dx: npt.NDArray[np.float32]  # mean gx² - gy²  } the doubled-angle gradient direction,
    dy: npt.NDArray[np.float32]  # mean 2 gx gy    } weighted by energy
    coherence: npt.NDArray[np.float32]  # 1 = all gradients parallel, 0 = all directions
    scale: float  # block index -> full-resolution pixels


def _blocks(gray: Gray) -> _Blocks | None:
    """Costs a millisecond or two at any frame size."""
    h, w = gray.shape
    f = min(1.0, _WORK / max(h, w))
    small = gray if f == 1.0 else cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    bw, bh = sw // _BLOCK, sh // _BLOCK
    if bw < 2 or bh < 2:
        return None
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    jxx = cv2.resize(cv2.multiply(gx, gx), (bw, bh), interpolation=cv2.INTER_AREA)
    jyy = cv2.resize(cv2.multiply(gy, gy), (bw, bh), interpolation=cv2.INTER_AREA)
    jxy = cv2.resize(cv2.multiply(gx, gy), (bw, bh), interpolation=cv2.INTER_AREA)
    energy = np.asarray(jxx + jyy, dtype=np.float32)
    dx, dy = np.asarray(jxx - jyy, dtype=np.float32), np.asarray(2 * jxy, dtype=np.float32)
    coherence = np.sqrt(dx * dx + dy * dy) / (energy + np.float32(1e-6))
    mean = np.asarray(cv2.resize(small, (bw, bh), interpolation=cv2.INTER_AREA), np.float32)
    return _Blocks(mean, energy, dx, dy, coherence, _BLOCK / f)


def _matrix_like(b: _Blocks) -> tuple[bool, bool]:
    """(a 2-D symbol may be there, it may be light on dark).

    A 2-D symbol is a patch of strong edges running several ways, clear of the frame's
    edge; its quiet zone is lighter than it, or darker when it is printed light on dark.
    A frame so noisy that every block looks like that may hide either.
    """
    if float(np.median(b.energy * (1 - b.coherence))) > _NOISY:  # energy in no direction
        return True, True
    floor = float(np.median(b.energy))  # most blocks are background: their noise
    top = float(np.percentile(b.energy, 99))
    strong = max(2 * _MIN_ENERGY, 2 * floor, _MATRIX_SHARE * top)
    mask = ((b.energy > strong) & (b.coherence < _LINEAR_COHERENCE)).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    bh, bw = mask.shape
    found = inverted = False
    for x, y, w, h, area in stats[1:]:
        if area >= _MIN_MATRIX_BLOCKS and x > 0 and y > 0 and x + w < bw and y + h < bh:
            found = True
            ring = b.mean[y - 1 : y + h + 1, x - 1 : x + w + 1]
            inner = float(b.mean[y : y + h, x : x + w].sum())
            ring_mean = (float(ring.sum()) - inner) / (ring.size - w * h)
            inverted = inverted or bool(ring_mean < inner / (w * h))
            if inverted:
                break
    return found, inverted


def _clusters(b: _Blocks) -> list[Region]:
    """Clusters of blocks whose gradients are strong and parallel, strongest first."""
    energy, dx, dy = b.energy, b.dx, b.dy
    mask = ((b.coherence > _LINEAR_COHERENCE) & (energy > _MIN_ENERGY)).astype(np.uint8)
    if int(mask.sum()) < _MIN_BLOCKS:
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    flat = labels.ravel()
    sx = np.bincount(flat, weights=dx.ravel(), minlength=count)
    sy = np.bincount(flat, weights=dy.ravel(), minlength=count)
    se = np.bincount(flat, weights=energy.ravel(), minlength=count)
    pieces = [
        i
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= _MIN_PIECE
        and math.hypot(sx[i], sy[i]) >= _CLUSTER_COHERENCE * se[i]  # not text, texture
    ]
    pieces.sort(key=lambda i: -se[i])
    blobs = []
    for i in pieces[:_MAX_PIECES]:
        x, y, w, h = (int(v) for v in stats[i, :4])
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        blobs.append(_blob(xs + x, ys + y, float(sx[i]), float(sy[i]), float(se[i])))
    blobs = _merge_pieces(blobs)
    scale = b.scale
    regions = []
    for blob in blobs:
        if blob.size < _MIN_BLOCKS or blob.coherence < _CLUSTER_COHERENCE:
            continue
        if blob.across < _MIN_ACROSS:  # one long edge (a box, a shelf), not a row of bars
            continue
        c, s = math.cos(blob.theta), math.sin(blob.theta)
        centre = ((blob.uc * c - blob.vc * s) * scale, (blob.uc * s + blob.vc * c) * scale)
        angle = math.degrees(blob.theta)
        regions.append(Region(centre, blob.across * scale, blob.along * scale, angle, blob.energy))
    regions.sort(key=lambda r: -r.score)
    return regions


@dataclass(frozen=True, slots=True)
class _Blob:
    """Connected coherent blocks, in block units, seen along their own gradient."""

    xs: npt.NDArray[np.intp]
    ys: npt.NDArray[np.intp]
    sx: float
    sy: float
    energy: float
    theta: float  # gradient direction, radians
    u: tuple[float, float]  # extent along the gradient (across the bars)
    v: tuple[float, float]  # extent along the bars
    corners: tuple[tuple[float, float], ...]  # of the bounding box, in block units

    @property
    def size(self) -> int:
        return int(self.xs.size)

    @property
    def coherence(self) -> float:
        return math.hypot(self.sx, self.sy) / max(self.energy, 1e-6)

    @property
    def across(self) -> float:
        return self.u[1] - self.u[0] + 1

    @property
    def along(self) -> float:
        return self.v[1] - self.v[0] + 1

    @property
    def uc(self) -> float:
        return (self.u[0] + self.u[1]) / 2

    @property
    def vc(self) -> float:
        return (self.v[0] + self.v[1]) / 2


def _blob(
    xs: npt.NDArray[np.intp], ys: npt.NDArray[np.intp], sx: float, sy: float, energy: float
) -> _Blob:
    theta = 0.5 * math.atan2(sy, sx)
    c, s = math.cos(theta), math.sin(theta)
    u = (xs + 0.5) * c + (ys + 0.5) * s
    v = -(xs + 0.5) * s + (ys + 0.5) * c
    u_range, v_range = (float(u.min()), float(u.max())), (float(v.min()), float(v.max()))
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()) + 1, float(ys.min()), float(ys.max()) + 1
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return _Blob(xs, ys, sx, sy, energy, theta, u_range, v_range, corners)


def _merge_pieces(blobs: list[_Blob]) -> list[_Blob]:
    """Join pieces of one symbol split by a faint stretch (a middle guard, a glare).

    Two pieces are one when their bars are parallel, they overlap along the bars and
    they nearly touch across them.
    """
    root = list(range(len(blobs)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for i, a in enumerate(blobs):
        c, s = math.cos(a.theta), math.sin(a.theta)
        for j in range(i + 1, len(blobs)):
            b = blobs[j]
            turn = abs(a.theta - b.theta) % math.pi
            if min(turn, math.pi - turn) > _MERGE_ANGLE:
                continue
            us = [x * c + y * s for x, y in b.corners]  # b's bounding box in a's frame
            vs = [y * c - x * s for x, y in b.corners]
            overlap = min(a.v[1], max(vs)) - max(a.v[0], min(vs))
            gap = max(min(us) - a.u[1], a.u[0] - max(us))
            if overlap >= 0.5 * min(a.along, b.along) and gap <= _MERGE_GAP:
                root[find(j)] = find(i)
    groups: dict[int, list[_Blob]] = {}
    for i, blob in enumerate(blobs):
        groups.setdefault(find(i), []).append(blob)
    merged = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        merged.append(
            _blob(
                np.concatenate([b.xs for b in group]),
                np.concatenate([b.ys for b in group]),
                sum(b.sx for b in group),
                sum(b.sy for b in group),
                sum(b.energy for b in group),
            )
        )
    return merged


def _scan_line(gray: Gray, region: Region) -> Region | None:
    """The region narrowed to a run of bars with a quiet zone on both sides, or None.

    Samples a band through the region's middle, along the gradient and reaching past both
    ends, and averages it along the bars (which averages noise away). Edges are the
    crossings of that profile around its local mean. A symbol is a run of at least
    ``_MIN_EDGES`` edges, and on both sides a quiet zone clearly wider than any gap in
    the run, seen inside the frame (a symbol cut by the frame's edge cannot be decoded).
    """
    theta = math.radians(region.angle)
    c, s = math.cos(theta), math.sin(theta)
    margin = 0.4 * region.across + 16
    n = int(region.across + 2 * margin)
    band = min(max(int(region.along * 0.3), 4), _BAND)
    cx, cy = region.centre
    to_strip = np.array([[c, s, n / 2 - (c * cx + s * cy)], [-s, c, band / 2 - (-s * cx + c * cy)]])
    strip = cv2.warpAffine(gray, to_strip, (n, band), flags=cv2.INTER_LINEAR)
    profile = strip.astype(np.float32).mean(axis=0)
    # columns whose centre lies inside the frame: a quiet zone must be seen, not assumed
    t = np.arange(n, dtype=np.float64) - n / 2
    px, py = cx + t * c, cy + t * s
    h, w = gray.shape
    inside = np.flatnonzero((px >= 0) & (px < w) & (py >= 0) & (py < h))
    if inside.size < 32:
        return None
    first, last = int(inside[0]), int(inside[-1])
    profile = profile[first : last + 1]
    window = max(15, profile.size // 12) | 1
    detail = profile - cv2.blur(profile.reshape(1, -1), (window, 1)).ravel()
    threshold = _EDGE_LEVEL * float(detail.std())
    if threshold < 0.5:
        return None
    strong = np.flatnonzero(np.abs(detail) > threshold)
    if strong.size < 2:
        return None
    signs = detail[strong] > 0
    flips = np.flatnonzero(signs[1:] != signs[:-1])
    edges = (strong[flips] + strong[flips + 1]) / 2.0  # between the last of one and next
    if edges.size < _MIN_EDGES:
        return None
    run = _quiet_bounded_run(edges, float(profile.size - 1))
    if run is None:
        return None
    a, b = run
    run_element = float(edges[b] - edges[a]) / (b - a)
    inverted = _light_on_dark(profile, edges[a : b + 1])
    # The run may be part of the symbol (faint bars lost in the profile) or all of it
    # when the blocks took in its surroundings: keep both extents.
    lo = min(float(edges[a]) + first - n / 2, -region.across / 2)
    hi = max(float(edges[b]) + first - n / 2, region.across / 2)
    mid = (lo + hi) / 2
    return Region(
        (cx + mid * c, cy + mid * s),
        hi - lo,
        region.along,
        region.angle,
        region.score,
        module=run_element / _ELEMENT_MODULES,
        inverted=inverted,
    )


def _light_on_dark(profile: npt.NDArray[np.float32], edges: npt.NDArray[np.float64]) -> bool | None:
    """Whether a run of bars is printed light on dark; None when the profile cannot tell.

    Quiet zones are the colour of the spaces: lighter than the bars' average on a normal
    symbol, darker on an inverted one. The run may have taken in the edges of the label
    around the symbol: a first or last gap clearly wider than any inside is a quiet zone,
    and the symbol proper lies within.
    zxing-cpp's own inverted pass misses light-on-dark 1-D symbols.
    """
    gaps = np.diff(edges)
    if gaps.size < 4:
        return None
    lo, hi = 0, gaps.size - 1
    inside = float(gaps[1:-1].max())
    if gaps[lo] >= _QUIET_OVER_WIDEST * inside:  # label edge, then a quiet zone
        lo += 1
    if gaps[hi] >= _QUIET_OVER_WIDEST * inside:
        hi -= 1
    start, end = float(edges[lo]), float(edges[hi + 1])
    reach = 3 * float(np.median(gaps))
    left = profile[max(int(start - reach), 0) : max(int(start) - 1, 0)]
    right = profile[int(end) + 2 : int(end + reach)]
    if left.size == 0 or right.size == 0:
        return None
    bars = float(profile[int(start) : int(end) + 1].mean())
    quiet = (float(left.mean()) - bars, float(right.mean()) - bars)
    if min(abs(q) for q in quiet) < 1.0 or (quiet[0] > 0) != (quiet[1] > 0):
        return None
    return quiet[0] < 0


def _quiet_bounded_run(edges: npt.NDArray[np.float64], end: float) -> tuple[int, int] | None:
    """The longest run of edges whose two bounding gaps are quiet zones, as (first, last).

    Gaps include the distances to both ends of the profile. A run qualifies with at least
    ``_MIN_EDGES`` edges and both bounding gaps ``_QUIET_OVER_WIDEST`` times its widest
    inner gap. Runs are cut at each of the widest gaps in turn, as a quiet zone is one.
    """
    gaps = np.diff(np.concatenate(([0.0], edges, [end])))  # gaps[i] precedes edges[i]
    inner = gaps[1:-1]
    best: tuple[int, int] | None = None
    for level in np.unique(gaps)[::-1][:_QUIET_TRIES]:
        cuts = np.flatnonzero(gaps >= level)  # cut k splits before edges[cuts[k]]
        long_enough = np.flatnonzero(np.diff(cuts) >= _MIN_EDGES)
        for k in long_enough:
            a, b = int(cuts[k]), int(cuts[k + 1]) - 1  # edges[a..b]: gaps[a], gaps[b + 1]
            if best and b - a <= best[1] - best[0]:
                continue
            widest = float(inner[a:b].max())
            if min(gaps[a], gaps[b + 1]) >= _QUIET_OVER_WIDEST * widest:
                best = (a, b)
    return best


# --- crops -------------------------------------------------------------------------------


def rectify(
    gray: Gray, region: Region, *, module_px: float = 3.0, max_pixels: int = 600_000
) -> tuple[Gray, Affine]:
    """The region cut out with its bars vertical, scaled so a module is ``module_px`` wide.

    Returns the crop and the affine transform from crop to image coordinates. Upscaling
    is what lets both decoders resolve modules under 2 px; the quiet zones are kept, and
    the crop is shrunk if need be to ``max_pixels``, which bounds the decoders' work.
    """
    quiet = 12 * (region.module or 2.0)  # keep the quiet zones, and some slack for tilt
    across = region.across + 2 * quiet + 0.2 * region.along
    along = region.along + 16
    # blur merges bars in the profile, so the module estimate errs large: never shrink
    zoom = min(max(module_px / region.module, 1.0), 4.0) if region.module else 2.0
    zoom = min(zoom, math.sqrt(max_pixels / (across * along)))
    theta = math.radians(region.angle)
    c, s = math.cos(theta) * zoom, math.sin(theta) * zoom
    out_w, out_h = max(int(across * zoom), 1), max(int(along * zoom), 1)
    cx, cy = region.centre
    # image -> crop: rotate by -theta about the centre, scale, shift the centre to the middle
    to_crop = np.array(
        [
            [c, s, out_w / 2 - (c * cx + s * cy)],
            [-s, c, out_h / 2 - (-s * cx + c * cy)],
        ]
    )
    crop = cv2.warpAffine(
        gray, to_crop, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    back = np.asarray(cv2.invertAffineTransform(to_crop), dtype=np.float64)
    return np.asarray(crop, dtype=np.uint8), back


def invert(gray: Gray) -> Gray:
    """The negative: light-on-dark symbols made dark-on-light, as decoders expect."""
    return np.asarray(cv2.bitwise_not(gray), dtype=np.uint8)


def contrast(gray: Gray) -> float:
    """Grey levels between the 5th and 95th percentile: how much a symbol stands out."""
    lo, hi = np.percentile(gray[:: max(1, gray.shape[0] // 32)], (5, 95))
    return float(hi - lo)


def clahe(gray: Gray) -> Gray:
    """Local contrast equalisation: lifts a faint or unevenly lit symbol."""
    eq = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray)
    return np.asarray(eq, dtype=np.uint8)


def map_points(points: npt.ArrayLike, affine: Affine) -> tuple[tuple[int, int], ...]:
    """Apply a 2×3 affine transform to (x, y) points, rounded to pixels."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = pts @ affine[:, :2].T + affine[:, 2]
    return tuple((round(float(x)), round(float(y))) for x, y in out)
