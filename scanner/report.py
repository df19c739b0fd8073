"""Decode image files into reads with what each says: the data behind ``jxc decode``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.codes import InvalidCode, interpret
from scanner.decode import Read, decode
from scanner.imaging import ImageError, load

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class FileReport:
    file: str
    reads: list[Read] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "reads": [read_dict(r) for r in self.reads]}
        if self.error is not None:
            out["error"] = self.error
        return out


def read_dict(read: Read) -> dict[str, Any]:
    """``{text, symbology, aim, content_type, gs1}`` (``gs1`` null for plain codes)."""
    gs1: dict[str, object] | None = None
    if read.content_type == "gs1":
        try:
            _, data = interpret(read.code)
        except InvalidCode:
            data = None  # decode() drops such reads; kept defensive for foreign input
        gs1 = data.as_dict() if data is not None else None
    return {
        "text": read.text,
        "symbology": read.symbology,
        "aim": read.aim or None,
        "content_type": read.content_type,
        "gs1": gs1,
        "position": [list(p) for p in read.position],
        "decoder": read.decoder,
    }


def decode_files(paths: Iterable[str], formats: list[str] | None = None) -> list[FileReport]:
    reports = []
    for name in paths:
        report = FileReport(name)
        try:
            path = Path(name)
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ImageError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            report.reads = decode(load(path.read_bytes()), formats=formats)
        except FileNotFoundError:
            report.error = "no such file"
        except IsADirectoryError:
            report.error = "is a directory"
        except (ImageError, OSError) as exc:
            report.error = str(exc) or type(exc).__name__
        reports.append(report)
    return reports


def table(reports: list[FileReport]) -> str:
    """A plain-text table, one line per read (FNC1 shown as <GS>)."""
    rows = [("FILE", "SYMBOLOGY", "AIM", "TYPE", "TEXT", "GS1")]
    for rep in reports:
        if rep.error is not None:
            rows.append((rep.file, "-", "-", "error", rep.error, ""))
        elif not rep.reads:
            rows.append((rep.file, "-", "-", "-", "(no code found)", ""))
        for read in rep.reads:
            data = read_dict(read)["gs1"] or {}
            gs1 = " ".join(
                f"{k}={v}"
                for k, v in data.items()
                if k in ("gtin", "lot", "serial", "expiry", "quantity", "sscc") and v
            )
            text = read.text.replace("\x1d", "<GS>")
            rows.append((rep.file, read.symbology, read.aim or "-", read.content_type, text, gs1))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        (
            "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        ).rstrip()
        for row in rows
    )
