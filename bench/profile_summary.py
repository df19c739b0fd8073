#!/usr/bin/env python
"""Summarise py-spy collapsed stacks (``bench/ingest.py --profile DIR`` writes them).

    .venv/bin/python bench/profile_summary.py DIR/http16.txt [--top 25] [--match server/]

Prints, per file: the functions with the most *own* samples (where the CPU is), and the
functions with the most *inclusive* samples (what the CPU is spent on behalf of), by thread.
py-spy leaves idle samples out by default, so percentages are of busy samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# py-spy raw frames look like "function (path/to/file.py:123)"
FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m['fn']} ({path})"


def load(path: Path, thread: str = "") -> tuple[Counter[str], Counter[str], Counter[str], int]:
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if thread and thread not in frames[0]:
            continue
        total += n
        threads[frames[0]] += n
        names = [short(f) for f in frames[1:]] or [frames[0]]
        own[names[-1]] += n
        for name in set(names):
            incl[name] += n
    return own, incl, threads, total


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", type=int, default=20)
    p.add_argument(
        "--thread",
        default="",
        help="only stacks of threads whose name contains this (e.g. MainThread)",
    )
    p.add_argument("--match", default="", help="only list functions whose text contains this")
    args = p.parse_args()
    for path in args.files:
        own, incl, threads, total = load(path, args.thread)
        print(f"== {path}  ({total} busy samples)")
        if not total:
            continue
        print("  threads: " + ", ".join(f"{t} {n / total:.0%}" for t, n in threads.most_common(4)))
        for title, counter in (("own", own), ("inclusive", incl)):
            print(f"  -- top {title}")
            shown = 0
            for name, n in counter.most_common():
                if args.match and args.match not in name:
                    continue
                print(f"    {n / total:6.1%}  {name}")
                shown += 1
                if shown >= args.top:
                    break
        print()


if __name__ == "__main__":
    main()
