#!/usr/bin/env python
"""Decoder benchmark: zxing-cpp alone, pyzbar alone and scanner.decode, side by side.

Renders the labelled frames of ``tools/make_labels.py`` (every symbology × condition ×
variant at 640×480 and 1280×720, and frames with no code), runs the three pipelines on
every frame, taking turns at going first, and reports:

  - read rate per symbology, per condition and per size: a frame counts as read when a
    returned value equals its label;
  - wrong reads: any other value, or any read on a frame with no code (for scanner.decode,
    also a right value with a wrong symbology, AIM identifier or content type);
  - CPU ms per frame (``time.process_time``: every thread of this process), median and
    p90, for frames with a code and without, by size and by kind of empty frame;
  - the targets, met or missed, with their ratios.

The baselines are the libraries as a user would call them, formats restricted to the
symbologies in the set: ``zxingcpp.read_barcodes(frame, formats=...)`` on the BGR frame
(its defaults otherwise), ``pyzbar.decode(grey, symbols=...)`` on the grey frame (the
BGR -> grey conversion is counted; given BGR, pyzbar reads the blue channel only). This
is a benchmark, not a test: it reports figures and asserts nothing.

    .venv/bin/python bench/decode.py            # 414 frames, about 1-2 min on 2 cores
    .venv/bin/python bench/decode.py --quick    # 640×480 only, one variant (~15 s)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner import decode as scanner_decode  # noqa: E402
from scanner import symbology  # noqa: E402
from tools.make_labels import (  # noqa: E402
    CONDITIONS,
    EMPTY_KINDS,
    KINDS,
    SIZES,
    Label,
    Sample,
    samples,
)

FORMATS = ("EAN13", "UPCA", "Code128", "ITF", "QRCode", "DataMatrix", "PDF417")
CPU_RATIO = 1.5  # combined median CPU per 720p frame <= 1.5 × zxing-cpp alone
EMPTY_RATIO = 1.0  # a frame with no code costs at most what zxing-cpp alone costs
Frame = npt.NDArray[np.uint8]
Value = tuple[str, tuple[str, str, str] | None]  # text, (symbology, aim, content type)
Decoder = Callable[[Frame], list[Value]]


# --- the three pipelines -----------------------------------------------------------------


def zxing_alone() -> Decoder:
    names = symbology.zxing_formats(frozenset(FORMATS))
    formats = zxingcpp.BarcodeFormats([getattr(zxingcpp.BarcodeFormat, f) for f in names])

    def run(frame: Frame) -> list[Value]:
        found = zxingcpp.read_barcodes(frame, formats=formats, text_mode=zxingcpp.TextMode.Plain)
        return [(b.text, None) for b in found]

    return run


def zbar_alone() -> Decoder | None:
    try:
        from pyzbar import pyzbar  # type: ignore[import-untyped]  # optional: libzbar0
    except ImportError:
        return None
    symbols = [pyzbar.ZBarSymbol[s] for s in symbology.zbar_symbols(frozenset(FORMATS))]

    def run(frame: Frame) -> list[Value]:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found = pyzbar.decode(grey, symbols=symbols)
        return [(d.data.decode("utf-8", "replace"), None) for d in found]

    return run


def combined() -> Decoder:
    def run(frame: Frame) -> list[Value]:
        reads = scanner_decode.decode(frame, formats=FORMATS)
        return [(r.text, (r.symbology, r.aim, r.content_type)) for r in reads]

    return run


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Tally:
    """One pipeline's results over the frame set."""

    read: set[str] = field(default_factory=set)  # names of the frames read right
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (frame, value)
    cpu: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))


def measure(frames: Sequence[Sample], pipelines: dict[str, Decoder]) -> dict[str, Tally]:
    tallies = {name: Tally() for name in pipelines}
    names = list(pipelines)
    for i, sample in enumerate(frames):
        label = sample.label
        for name in names[i % len(names) :] + names[: i % len(names)]:
            t0 = time.process_time()
            values = pipelines[name](sample.image)
            ms = (time.process_time() - t0) * 1000
            tally = tallies[name]
            tally.cpu[(label.width, "code" if label.text else "no code")].append(ms)
            if not label.text:
                tally.cpu[(label.width, label.condition)].append(ms)
            expected = (label.symbology or "", label.aim or "", label.content_type or "")
            for text, meta in values:
                if text == label.text and meta in (None, expected):
                    tally.read.add(label.name)
                else:
                    tally.wrong.append((label.name, text))
    return tallies


def p90(values: Sequence[float]) -> float:
    return float(np.percentile(values, 90))


# --- reporting ---------------------------------------------------------------------------


def rate_table(
    title: str,
    keys: Sequence[str],
    key_of: Callable[[Label], str],
    labels: Sequence[Label],
    tallies: dict[str, Tally],
) -> None:
    print(f"\nread rate by {title}")
    print(f"  {title:<16}" + "".join(f"{n:>16}" for n in tallies))
    for key in [*keys, "all"]:
        group = [lb for lb in labels if key in ("all", key_of(lb))]
        if not group:
            continue
        cells = []
        for t in tallies.values():
            n = sum(lb.name in t.read for lb in group)
            cells.append(f"{n:>3}/{len(group):<3} {100 * n / len(group):3.0f}%")
        print(f"  {key:<16}" + "".join(f"{c:>16}" for c in cells))


def cpu_table(tallies: dict[str, Tally], sizes: Sequence[tuple[int, int]]) -> None:
    print("\nCPU ms per frame (process_time), median / p90")
    print(f"  {'frames':<26}" + "".join(f"{n:>18}" for n in tallies))
    for w, h in sizes:
        rows = [("code", f"{w}x{h} with a code"), ("no code", f"{w}x{h} no code")]
        rows += [(f"empty-{k}", f"  no code: {k}") for k in EMPTY_KINDS]
        for key, title in rows:
            cells = [
                f"{statistics.median(t.cpu[(w, key)]):7.1f} / {p90(t.cpu[(w, key)]):6.1f}"
                for t in tallies.values()
            ]
            print(f"  {title:<26}" + "".join(f"{c:>18}" for c in cells))


def summary(tallies: dict[str, Tally], sizes: Sequence[tuple[int, int]]) -> None:
    zx, comb = tallies["zxing-cpp"], tallies["combined"]
    zb = tallies.get("pyzbar")
    either = zx.read | (zb.read if zb else set())
    lost = sorted(either - comb.read)
    print("\ntargets")
    ok = "met" if not lost else "MISSED"
    print(
        f"  reads every frame either decoder reads alone: {ok} "
        f"({len(either) - len(lost)}/{len(either)}; lost: {', '.join(lost) or 'none'})"
    )
    print(
        f"  ... and more: {len(comb.read)} frames read, {len(comb.read - either)} by neither alone"
    )
    if zb is None:
        print("  (pyzbar is not available here: compared with zxing-cpp alone)")
    print(f"  zero wrong reads: {'met' if not comb.wrong else 'MISSED'} ({len(comb.wrong)})")
    w, h = max(sizes)
    for key, what in (("code", "with a code"), ("all", "all")):
        keys = ["code"] if key == "code" else ["code", "no code"]
        zv = [v for k in keys for v in zx.cpu[(w, k)]]
        cv = [v for k in keys for v in comb.cpu[(w, k)]]
        ratio = statistics.median(cv) / statistics.median(zv)
        ok = "met" if ratio <= CPU_RATIO else "MISSED"
        print(
            f"  median CPU per {w}x{h} frame ({what}) <= {CPU_RATIO}× zxing-cpp: {ok} "
            f"({statistics.median(cv):.1f} vs {statistics.median(zv):.1f} ms, ×{ratio:.2f})"
        )
    for w, h in sizes:
        zv, cv = zx.cpu[(w, "no code")], comb.cpu[(w, "no code")]
        ratio = statistics.median(cv) / statistics.median(zv)
        ok = "met" if ratio <= EMPTY_RATIO else "MISSED"
        kinds = {
            k: statistics.median(comb.cpu[(w, f"empty-{k}")])
            / statistics.median(zx.cpu[(w, f"empty-{k}")])
            for k in EMPTY_KINDS
        }
        worst = max(kinds, key=lambda k: kinds[k])
        print(
            f"  median CPU per {w}x{h} frame with no code <= zxing-cpp: {ok} "
            f"({statistics.median(cv):.1f} vs {statistics.median(zv):.1f} ms, ×{ratio:.2f}; "
            f"worst kind: {worst} ×{kinds[worst]:.2f})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="640×480 only, one variant")
    parser.add_argument("--variants", type=int, default=3, help="frames per kind × condition")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = SIZES[:1] if args.quick else SIZES
    variants = 1 if args.quick else args.variants

    print(
        f"decode benchmark: Python {platform.python_version()}, zxing-cpp "
        f"{version('zxing-cpp')}, pyzbar {version('pyzbar')}, OpenCV {cv2.__version__}, "
        f"{platform.machine()} × {len(os.sched_getaffinity(0))} cores"
    )
    if notice := scanner_decode.missing_engine_notice():
        print(f"NOTE: {notice}")
    t0 = time.perf_counter()
    frames = list(samples(sizes=sizes, variants=variants, seed=args.seed))
    print(
        f"rendered {len(frames)} frames in {time.perf_counter() - t0:.1f} s (seed {args.seed}, "
        f"{variants} variant(s), {', '.join(f'{w}x{h}' for w, h in sizes)})"
    )
    pipelines: dict[str, Decoder] = {"zxing-cpp": zxing_alone()}
    if zbar := zbar_alone():
        pipelines["pyzbar"] = zbar
    pipelines["combined"] = combined()
    for run in pipelines.values():  # the first call loads libraries and fills caches
        run(frames[0].image)
    t0 = time.perf_counter()
    tallies = measure(frames, pipelines)
    print(f"decoded them with {len(pipelines)} pipelines in {time.perf_counter() - t0:.1f} s")

    labels = [s.label for s in frames if s.label.text is not None]
    rate_table("symbology", KINDS, lambda lb: lb.kind or "", labels, tallies)
    rate_table("condition", CONDITIONS, lambda lb: lb.condition, labels, tallies)
    size_names = [f"{w}x{h}" for w, h in sizes]
    rate_table("size", size_names, lambda lb: f"{lb.width}x{lb.height}", labels, tallies)
    print("\nwrong reads (a value that is not the label, or any read on a frame with no code)")
    for name, t in tallies.items():
        print(f"  {name:<10} {len(t.wrong):>4}" + (f"   e.g. {t.wrong[:2]}" if t.wrong else ""))
    cpu_table(tallies, sizes)
    summary(tallies, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
