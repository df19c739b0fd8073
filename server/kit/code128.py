"""Code 128 barcodes as inline SVG for printable documents (python-barcode renders them)."""

from __future__ import annotations

import re

from barcode import Code128
from barcode.writer import SVGWriter

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def code128_svg(
    text: str, *, height_mm: float = 12.0, module_mm: float = 0.3, human_readable: bool = True
) -> str:
    """An ``<svg>`` element (no XML prologue) to embed in HTML; sized in millimetres, so it
    prints at scannable size whatever the screen."""
    options = {
        "module_width": module_mm,
        "module_height": height_mm,
        "quiet_zone": 3.0,
        "font_size": 9 if human_readable else 0,
        "text_distance": 4.0,
        "write_text": human_readable,
        "compress": False,
    }
    svg = Code128(text, writer=SVGWriter()).render(options).decode()
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(text)}" ', 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
