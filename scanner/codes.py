"""Interpret one scanned text: a plain code, a GTIN, or a GS1 element string.

Parsing is done by ``biip`` (maintained, validates check digits and dates). The one rule
added here is *when* to treat a text as GS1: a bare ``10D9T`` on a plain Code 128 is a
lot-looking internal code, not "AI 10 = D9T". So a text is GS1 only when it says so:
a GS1 AIM symbology identifier (``]C1``, ``]e0``, ``]d2``, ``]Q3``, ``]J1``), HRI with
parentheses, a GS1 Digital Link URI, or a raw element string that starts with AI 00 or 01
(an SSCC or a GTIN with a valid check digit) — the shape of every GS1 logistics label.
An RFID EPC URI (``urn:epc:id:sgtin:…``) is read as the GTIN and serial it encodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from biip import ParseError, parse
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from scanner.epc import InvalidEPC, parse_epc_uri

GS1_AIM_PREFIXES = ("]C1", "]e0", "]d2", "]Q3", "]J1")
_RAW_GS1 = re.compile(r"^(?:00\d{18}|01\d{14})")
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


class InvalidCode(ValueError):
    """The text claims to be GS1 (or a GTIN) but does not parse: bad check digit, bad date…"""


@dataclass(frozen=True, slots=True)
class GS1Data:
    gtin: str | None = None  # always as GTIN-14
    lot: str | None = None  # AI 10
    serial: str | None = None  # AI 21
    expiry: date | None = None  # AI 17
    best_before: date | None = None  # AI 15
    quantity: Decimal | None = None  # AI 30 / 37 (count) or 310n (net kg)
    sscc: str | None = None  # AI 00
    ais: dict[str, str] = field(default_factory=dict)  # read-only: results are cached

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: dates ISO, the quantity as a decimal string."""
        return {
            "gtin": self.gtin,
            "lot": self.lot,
            "serial": self.serial,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "best_before": self.best_before.isoformat() if self.best_before else None,
            "quantity": f"{self.quantity.normalize():f}" if self.quantity is not None else None,
            "sscc": self.sscc,
            "ais": dict(self.ais),
        }


@lru_cache(maxsize=8192)  # scanners read the same few thousand codes all day
def gtin14(text: str) -> str | None:
    """The GTIN-14 form of an EAN-8/UPC-A/EAN-13/GTIN-14 with a valid check digit, else None."""
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        return None
    try:
        return str(Gtin.parse(text).as_gtin_14())
    except ParseError:
        return None


def split_aim(text: str) -> tuple[str, str]:
    """``("]C1", "0109…")`` for a text with an AIM symbology identifier, else ``("", text)``."""
    if _AIM.match(text):
        return text[:3], text[3:]
    return "", text


@lru_cache(maxsize=8192)
def interpret(text: str) -> tuple[str, GS1Data | None]:
    """Split off any AIM identifier and return ``(plain_text, gs1_data_or_None)``.

    Raises ``InvalidCode`` when the text is GS1 by its own claim but cannot be parsed.
    """
    aim, body = split_aim(text)
    if body[:8].lower() == "urn:epc:":
        return body, _from_epc_uri(body)
    if aim and aim not in GS1_AIM_PREFIXES:
        return body, None
    if aim or body.startswith("(") or body.lower().startswith(("http://", "https://")):
        return body, _parse_gs1(text if aim else body, hri=body.startswith("("))
    if _RAW_GS1.match(body) and (body.startswith("00") or gtin14(body[2:16])):
        return body, _parse_gs1(body, hri=False)
    return body, None


def _parse_gs1(text: str, *, hri: bool) -> GS1Data | None:
    try:
        if hri:
            message = GS1Message.parse_hri(text)
        else:
            result = parse(text)
            if result.gs1_message is not None:
                message = result.gs1_message
            elif result.gs1_digital_link_uri is not None:
                message = result.gs1_digital_link_uri.as_gs1_message()
            elif text.lower().startswith(("http://", "https://")):
                return None  # an ordinary URL (a QR code to a web page): not GS1
            else:
                raise InvalidCode(result.gs1_message_error or f"{text!r} is not a GS1 code")
    except ParseError as exc:
        raise InvalidCode(str(exc)) from exc
    return _from_message(message)


def _from_epc_uri(uri: str) -> GS1Data | None:
    """An RFID tag's EPC as a URI (what the dock agent sends): SGTIN → GTIN + serial,
    SSCC → SSCC; other EPC schemes carry no product and stay plain."""
    try:
        epc = parse_epc_uri(uri)
    except InvalidEPC as exc:
        raise InvalidCode(str(exc)) from exc
    if epc.gtin is None and epc.sscc is None:
        return None
    ais = {"01": epc.gtin} if epc.gtin else {"00": epc.sscc or ""}
    if epc.serial:
        ais["21"] = epc.serial
    return GS1Data(gtin=epc.gtin, serial=epc.serial, sscc=epc.sscc, ais=ais)


def _from_message(message: GS1Message) -> GS1Data:
    ais: dict[str, str] = {}
    values: dict[str, object] = {}
    for es in message.element_strings:
        ai = es.ai.ai
        ais[ai] = es.value
        if ai == "01":
            if es.gtin is None:
                raise InvalidCode(es.gtin_error or f"invalid GTIN {es.value!r}")
            values["gtin"] = str(es.gtin.as_gtin_14())
        elif ai == "00":
            if es.sscc is None:
                raise InvalidCode(es.sscc_error or f"invalid SSCC {es.value!r}")
            values["sscc"] = es.value
        elif ai == "10":
            values["lot"] = es.value
        elif ai == "21":
            values["serial"] = es.value
        elif ai == "17":
            values["expiry"] = es.date
        elif ai == "15":
            values["best_before"] = es.date
        elif ai in ("30", "37"):
            values["quantity"] = Decimal(es.value)
        elif ai.startswith("310") and es.decimal is not None:
            values["quantity"] = Decimal(es.decimal)
    return GS1Data(ais=ais, **values)  # type: ignore[arg-type]
