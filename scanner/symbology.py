"""Symbology names, AIM identifiers and check-digit validation of decoded reads.

Decoders name symbologies differently (zxing-cpp "EAN-13", zbar "EAN13", zbar reports a
UPC-A as an EAN-13) and only zxing-cpp reports the AIM symbology identifier a scanner
would send. This module gives every read one stable name and, where the symbology and
content settle it, its AIM identifier, and it refuses values that a misread would
produce: a wrong check digit, an ITF fragment, a GS1 element string that does not parse.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.codes import InvalidCode, interpret

#: Stable symbology names, as ``Read.symbology`` reports them and ``formats`` accepts them.
SYMBOLOGIES: tuple[str, ...] = (
    "EAN13",
    "EAN8",
    "UPCA",
    "UPCE",
    "Code128",
    "Code39",
    "Code93",
    "Codabar",
    "ITF",
    "DataBar",
    "DataBarExpanded",
    "DataBarLimited",
    "QRCode",
    "MicroQRCode",
    "DataMatrix",
    "PDF417",
    "Aztec",
    "MaxiCode",
)

#: One-dimensional symbologies: these are the ones worth rotating and upscaling for.
LINEAR: frozenset[str] = frozenset(SYMBOLOGIES[:12])

#: EAN-13, UPC-A and UPC-E are one bar pattern family: a UPC-A *is* an EAN-13 starting with 0.
EAN_UPC: frozenset[str] = frozenset({"EAN13", "EAN8", "UPCA", "UPCE"})

# zxing-cpp format names (BarcodeFormat.name) -> stable name; absent means "same name".
_FROM_ZXING = {
    "ITF14": "ITF",
    "DataBarOmni": "DataBar",
    "DataBarStk": "DataBar",
    "DataBarStkOmni": "DataBar",
    "DataBarExp": "DataBarExpanded",
    "DataBarExpStk": "DataBarExpanded",
    "DataBarLtd": "DataBarLimited",
    "QRCodeModel1": "QRCode",
    "QRCodeModel2": "QRCode",
    "CompactPDF417": "PDF417",
    "AztecCode": "Aztec",
    "AztecRune": "Aztec",
}
# stable name -> zxing-cpp format names to enable
_TO_ZXING = {
    "EAN13": ("EAN13", "UPCA"),
    "UPCA": ("EAN13", "UPCA"),
    "EAN8": ("EAN8",),
    "UPCE": ("UPCE",),
    "Code128": ("Code128",),
    "Code39": ("Code39",),
    "Code93": ("Code93",),
    "Codabar": ("Codabar",),
    "ITF": ("ITF14",),
    "DataBar": ("DataBar",),
    "DataBarExpanded": ("DataBarExp",),
    "DataBarLimited": ("DataBarLtd",),
    "QRCode": ("QRCode",),
    "MicroQRCode": ("MicroQRCode",),
    "DataMatrix": ("DataMatrix",),
    "PDF417": ("PDF417",),
    "Aztec": ("Aztec",),
    "MaxiCode": ("MaxiCode",),
}
# stable name -> zbar symbol type names (pyzbar's ZBarSymbol); zbar has no 2-D but QR here.
_TO_ZBAR = {  # zbar hands UPC-A over as EAN-13 unless told otherwise: as zxing-cpp does
    "EAN13": ("EAN13",),
    "UPCA": ("EAN13",),
    "EAN8": ("EAN8",),
    "UPCE": ("UPCE",),
    "Code128": ("CODE128",),
    "Code39": ("CODE39",),
    "Code93": ("CODE93",),
    "Codabar": ("CODABAR",),
    "ITF": ("I25",),
    "DataBar": ("DATABAR",),
    "DataBarExpanded": ("DATABAR_EXP",),
    "QRCode": ("QRCODE",),
}
_FROM_ZBAR = {
    "EAN13": "EAN13",
    "UPCA": "UPCA",
    "EAN8": "EAN8",
    "UPCE": "UPCE",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "CODABAR": "Codabar",
    "I25": "ITF",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExpanded",
    "QRCODE": "QRCode",
}
# AIM symbology identifiers (ISO/IEC 15424) that follow from the symbology alone.
_AIM = {
    "EAN13": "]E0",
    "UPCA": "]E0",
    "UPCE": "]E0",
    "EAN8": "]E4",
    "Code93": "]G0",
    "Codabar": "]F0",
    "ITF": "]I1",  # ITF-14: the mod-10 check digit is validated and transmitted
    "DataBar": "]e0",
    "DataBarExpanded": "]e0",
    "DataBarLimited": "]e0",
}


class UnknownSymbology(ValueError):
    """A ``formats`` entry that is not one of ``SYMBOLOGIES``."""


def normalise(formats: Iterable[str] | None) -> frozenset[str]:
    """The set of stable names asked for; ``None`` means all of them."""
    if formats is None:
        return frozenset(SYMBOLOGIES)
    if isinstance(formats, str):
        raise TypeError("formats is a collection of names, not a single string")
    names = frozenset(formats)
    unknown = names.difference(SYMBOLOGIES)
    if unknown:
        raise UnknownSymbology(f"unknown symbologies {sorted(unknown)}; known: {SYMBOLOGIES}")
    if not names:
        raise UnknownSymbology("formats is empty: nothing could ever be read")
    return names


def zxing_formats(names: frozenset[str]) -> list[str]:
    """zxing-cpp ``BarcodeFormat`` member names to enable for the stable ``names``."""
    return sorted({f for name in names for f in _TO_ZXING[name]})


def zbar_symbols(names: frozenset[str]) -> list[str]:
    """pyzbar ``ZBarSymbol`` member names to enable; zbar reads fewer symbologies."""
    return sorted({s for name in names for s in _TO_ZBAR.get(name, ())})


def from_zxing(format_name: str, text: str) -> str:
    """The stable name of a zxing-cpp read."""
    name = _FROM_ZXING.get(format_name, format_name)
    return _ean_family(name, text)


def from_zbar(type_name: str, text: str) -> str | None:
    """The stable name of a zbar read, None for a type this module does not report."""
    name = _FROM_ZBAR.get(type_name)
    return None if name is None else _ean_family(name, text)


def _ean_family(name: str, text: str) -> str:
    # zbar and zxing-cpp both hand UPC-A over in its 13-digit EAN form; a 13-digit EAN/UPC
    # read starting with 0 is the same bars either way, so it gets one name.
    if name in ("EAN13", "UPCA") and len(text) == 13:
        return "UPCA" if text.startswith("0") else "EAN13"
    return name


def aim_for(symbology: str, text: str, *, gs1: bool) -> str:
    """The AIM identifier of a read whose decoder gave none; "" when it is not settled.

    ``gs1`` says the symbol started with FNC1 (zbar reports it as a modifier).
    """
    if symbology == "Code128":
        return "]C1" if gs1 else "]C0"
    if symbology == "QRCode":
        return "]Q3" if gs1 else "]Q1"  # zbar does not implement ECI: model 2, no ECI
    return _AIM.get(symbology, "")


def ean13_form(symbology: str, text: str) -> str:
    """EAN/UPC text as zxing-cpp gives it (13 digits, UPC-E expanded); others unchanged."""
    if symbology == "UPCA" and len(text) == 12:
        return "0" + text
    if symbology == "UPCE" and len(text) == 8:
        expanded = upce_to_upca(text)
        return text if expanded is None else "0" + expanded
    return text


def upce_to_upca(text: str) -> str | None:
    """The 12-digit UPC-A a UPC-E (8 digits, number system 0 or 1) stands for."""
    if len(text) != 8 or not text.isdigit() or text[0] not in "01":
        return None
    ns, d, check = text[0], text[1:7], text[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit for ``digits`` (GTIN, SSCC, ITF-14 without the last digit)."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def has_valid_check_digit(digits: str) -> bool:
    """True for an all-digit string whose last digit is its GS1 mod-10 check digit."""
    return len(digits) >= 2 and digits.isdigit() and check_digit(digits[:-1]) == digits[-1]


_EAN_LENGTHS = {"EAN13": (13,), "UPCA": (12, 13), "UPCE": (8, 13), "EAN8": (8,)}


def rejection(symbology: str, text: str, aim: str) -> str | None:
    """Why a read must not be returned, or None when it is plausible.

    Rejects what a misread produces and a decoder may still hand over: an EAN/UPC or
    ITF-14 with a wrong check digit, an ITF that is not 14 digits (ITF has no fixed
    length, so a partial scan of an ITF-14 decodes as a shorter, valid-looking ITF), a
    GS1 element string (by AIM identifier or shape, as ``scanner.codes.interpret`` sees
    it) whose GTIN, SSCC or dates do not check out.
    """
    if symbology in _EAN_LENGTHS:
        if len(text) not in _EAN_LENGTHS[symbology] or not text.isdigit():
            return f"{symbology} {text!r} has the wrong length"
        digits = text
        if symbology == "UPCE" and len(text) == 8:
            digits = upce_to_upca(text) or ""
        if not has_valid_check_digit(digits):
            return f"{symbology} {text!r} has a wrong check digit"
    elif symbology == "ITF" and (len(text) != 14 or not has_valid_check_digit(text)):
        return f"ITF {text!r} is not an ITF-14 with a valid check digit"
    try:
        interpret(aim + text)
    except InvalidCode as exc:
        return f"{symbology} {text!r} is not valid GS1: {exc}"
    return None
