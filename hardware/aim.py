"""AIM symbology identifiers (ISO/IEC 15424): the ``]Cm`` a scanner prefixes to a read when
told to, so the server knows GS1 data (``]C1``, ``]e0``, ``]d2``, ``]Q3``) from a plain code.
Symbologies are named as the scanner library names a camera's reads
(``scanner.symbology.SYMBOLOGIES``), whichever device read the code."""

from __future__ import annotations

from scanner import split_aim as _split

# By the identifier's code character. Whether the data is GS1 is the modifier's business
# (]C1 is GS1-128 *data* in a Code 128 symbol), not the symbology's.
_SYMBOLOGIES = {
    "A": "Code39",
    "C": "Code128",
    "E": "EAN13",
    "F": "Codabar",
    "G": "Code93",
    "I": "ITF",
    "L": "PDF417",
    "Q": "QRCode",
    "U": "MaxiCode",
    "d": "DataMatrix",
    "e": "DataBar",
    "z": "Aztec",
}
_BY_MODIFIER = {"]E4": "EAN8"}


def split_aim(text: str) -> tuple[str | None, str]:
    """``("]C1", "0109506000134352")`` from ``"]C10109506000134352"``; ``(None, text)``
    when the text does not start with an identifier (the scanner library's rule)."""
    aim, body = _split(text)
    return aim or None, body


def symbology(aim: str | None) -> str | None:
    """The symbology an identifier names (``"]E0"`` → ``"EAN13"``); None when unknown."""
    if not aim:
        return None
    return _BY_MODIFIER.get(aim) or _SYMBOLOGIES.get(aim[1:2])
