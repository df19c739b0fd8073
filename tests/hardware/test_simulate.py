"""The simulator's script format and its replay."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from hardware.simulate import ScriptError, ScriptLine, ScriptSource, parse_script

SCRIPT = """\
# a comment, then blank lines

5901234123457
5901234123457,3
INT-PLAIN,,0.05
"A,B",2,0
{"code": "]C1010590123412345715\\u001d10LOT", "qty": 2.5, "delay": 0.01}
"""


def test_parse_script() -> None:
    assert parse_script(SCRIPT) == [
        ScriptLine("5901234123457"),
        ScriptLine("5901234123457", Decimal(3)),
        ScriptLine("INT-PLAIN", None, 0.05),
        ScriptLine("A,B", Decimal(2), 0.0),
        ScriptLine("]C1010590123412345715\x1d10LOT", Decimal("2.5"), 0.01),
    ]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (",3", "line 2: the code is missing"),
        ("A,x", "line 2"),
        ("A,1,-1", "bad delay"),
        ("A,1,2,3", "code[,qty[,delay]]"),
        ('{"code": "A", "speed": 1}', "JSON line"),
        ('{"code": 5}', "the code is missing"),
        ("{oops", "line 2"),
        ("A,NaN", "bad quantity"),
    ],
)
def test_bad_lines_name_their_line(line: str, error: str) -> None:
    with pytest.raises(ScriptError, match=error.replace("[", r"\[").replace("]", r"\]")):
        parse_script(f"OK\n{line}\n")


async def test_replay_honours_delays_speed_and_repeat(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_text(SCRIPT)
    source = ScriptSource.from_file(path, repeat=2, speed=2.0)
    started = time.monotonic()
    reads = [r async for r in source.reads()]
    elapsed = time.monotonic() - started
    assert len(reads) == 10 and source.done.is_set()
    assert elapsed >= 2 * (0.05 + 0.01) / 2
    assert [(r.aim, r.text, r.qty) for r in reads[3:5]] == [
        (None, "A,B", Decimal(2)),
        ("]C1", "010590123412345715\x1d10LOT", Decimal("2.5")),
    ]
    assert reads[4].code == "]C1010590123412345715\x1d10LOT"


def test_a_missing_script_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"nope\.txt"):
        ScriptSource.from_file(tmp_path / "nope.txt")


def test_gs1_separators_stay_inside_their_line() -> None:
    """A GS1 read keeps its FNC1/GS separators: they do not end a line or get stripped."""
    gs1 = "]C1010690123400003017261130\x1d3012"
    lines = parse_script(f"{gs1}\n{gs1},4\r\n")
    assert [(line.code, line.qty) for line in lines] == [(gs1, None), (gs1, 4)]
