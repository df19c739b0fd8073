"""A simulated scanner that replays a script of reads, for demos and load tests.

A script is text, one read per line, in either form (mixable):

    # comment
    5901234123457                 a code
    5901234123457,3               a code and a quantity
    5901234123457,,0.5            a code read 0.5 s after the previous line
    {"code": "]C1010590123412345715", "qty": 2, "delay": 0.1}     JSON, for codes with
                                                                  commas or GS (\\u001d)

``delay`` is the pause before the read, in seconds (default 0).
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hardware.aim import split_aim, symbology
from hardware.link import Health
from hardware.reads import Decoded

MAX_SCRIPT_LINE = 4096


class ScriptError(ValueError):
    """A script line that cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class ScriptLine:
    code: str
    qty: Decimal | None = None
    delay: float = 0.0


def parse_script(text: str) -> list[ScriptLine]:
    """Every read in a script, in order; a bad line is a ``ScriptError`` naming it."""
    lines: list[ScriptLine] = []
    # Lines end at "\n" only: str.splitlines() would also split at the GS (\x1d) that
    # separates GS1 fields, and str.strip() would eat it.
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip(" \t\r")
        if not stripped or stripped.startswith("#"):
            continue
        try:
            if len(stripped) > MAX_SCRIPT_LINE:
                raise ValueError(f"longer than {MAX_SCRIPT_LINE} characters")
            lines.append(_json_line(stripped) if stripped.startswith("{") else _csv_line(stripped))
        except (ValueError, InvalidOperation) as exc:
            raise ScriptError(f"line {number}: {exc}") from exc
    return lines


def _json_line(text: str) -> ScriptLine:
    data = json.loads(text)
    if not isinstance(data, dict) or set(data) - {"code", "qty", "delay"}:
        raise ValueError('a JSON line is an object with "code", optional "qty" and "delay"')
    return _line(data.get("code"), data.get("qty"), data.get("delay"))


def _csv_line(text: str) -> ScriptLine:
    fields = next(csv.reader([text]))
    if len(fields) > 3:
        raise ValueError("expected code[,qty[,delay]]")
    fields += [""] * (3 - len(fields))
    return _line(fields[0].strip(), fields[1].strip() or None, fields[2].strip() or None)


def _line(code: Any, qty: Any, delay: Any) -> ScriptLine:
    if not isinstance(code, str) or not code:
        raise ValueError("the code is missing")
    if isinstance(qty, bool) or isinstance(delay, bool):
        raise ValueError("qty and delay are numbers")
    amount = None if qty is None else Decimal(str(qty))
    if amount is not None and not amount.is_finite():
        raise ValueError(f"bad quantity {qty!r}")
    pause = 0.0 if delay is None else float(delay)
    if not 0 <= pause < 86_400:
        raise ValueError(f"bad delay {delay!r}")
    return ScriptLine(code, amount, pause)


class ScriptSource:
    """Replays a script ``repeat`` times, delays divided by ``speed``, then stays quiet.
    ``done`` is set once every line was handed over."""

    kind = "simulate"

    def __init__(
        self, lines: list[ScriptLine], *, repeat: int = 1, speed: float = 1.0, name: str = ""
    ) -> None:
        if repeat < 1 or speed <= 0:
            raise ValueError("repeat must be >= 1 and speed > 0")
        self.lines, self.repeat, self.speed, self.name = lines, repeat, speed, name
        self.health = Health()
        self.done = asyncio.Event()

    @classmethod
    def from_file(cls, path: Path, *, repeat: int = 1, speed: float = 1.0) -> ScriptSource:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScriptError(f"{path}: {exc.strerror or exc}") from exc
        try:
            return cls(parse_script(text), repeat=repeat, speed=speed, name=str(path))
        except ScriptError as exc:
            raise ScriptError(f"{path}: {exc}") from exc

    async def reads(self) -> AsyncIterator[Decoded]:
        self.health.up()
        for _ in range(self.repeat):
            for line in self.lines:
                if line.delay:
                    await asyncio.sleep(line.delay / self.speed)
                aim, text = split_aim(line.code)
                yield Decoded(
                    text=text,
                    raw=line.code.encode("utf-8"),
                    aim=aim,
                    symbology=symbology(aim),
                    qty=line.qty,
                )
        self.done.set()
