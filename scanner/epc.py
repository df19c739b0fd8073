"""Decode RFID EPCs: what the EPC bank of a UHF tag says (GS1 EPC Tag Data Standard).

Decoding is done by ``epcpy`` (maintained, MIT, every TDS 1.x binary scheme). What this module
adds: tolerant input (hex text with spaces or ``0x``, or raw bytes), a bound on length, a frozen
result that is cheap to keep per tag, and one rule — a well-formed value that is not a GS1 EPC
(an unprogrammed tag, a factory TID-based EPC) is data, not an error: it comes back with
``scheme=None``. Only input that is not an EPC at all raises ``InvalidEPC``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import unquote

from epcpy.epc_schemes.base_scheme import EPCScheme, TagEncodable
from epcpy.epc_schemes.sgtin import SGTIN
from epcpy.epc_schemes.sscc import SSCC
from epcpy.utils.common import ConvertException
from epcpy.utils.parsers import (
    TAG_ENCODABLE_BINARY_HEADERS,
    epc_pure_identity_to_scheme,
    tag_uri_to_tag_encodable,
)

# Gen2 PC word: the EPC length is a 5-bit count of 16-bit words, so at most 496 bits.
MAX_EPC_BYTES = 62
_MAX_TEXT = 4 * MAX_EPC_BYTES  # hex digits plus generous room for spaces
_NON_HEX = re.compile(r"[^0-9A-F]")
_WHITESPACE = re.compile(r"\s+")
_ID_URI = re.compile(r"urn:epc:id:([a-z]+):(\S+)")
_TAG_URI = re.compile(r"urn:epc:tag:([a-z]+)-([a-z0-9]+):(\S+)")
# epcpy signals a bad value with ConvertException, and on a few malformed inputs lets a
# ValueError or a lookup error escape; all of them mean "not this scheme".
_EPCPY_ERRORS = (ConvertException, ValueError, LookupError)


class InvalidEPC(ValueError):
    """The input is not an EPC at all: not hex, empty, or longer than any tag's EPC bank."""


@dataclass(frozen=True, slots=True)
class EPC:
    """One EPC: the raw value and, when it is a TDS EPC, what it identifies."""

    hex: str  # upper-case hex of the EPC bank content ("" when parsed from a pure identity URI)
    scheme: str | None = None  # "sgtin-96", "sscc-96"…; "sgtin" for a pure identity URI
    uri: str | None = None  # pure identity URI, e.g. "urn:epc:id:sgtin:0614141.812345.6789"
    gtin: str | None = None  # GTIN-14, for SGTIN
    serial: str | None = None  # SGTIN serial (AI 21), URI escapes resolved
    sscc: str | None = None  # 18 digits, for SSCC

    @property
    def is_gs1(self) -> bool:
        """True when the value decoded as a scheme of the GS1 EPC Tag Data Standard."""
        return self.scheme is not None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view (for events sent to the server and for logs)."""
        return {
            "hex": self.hex,
            "scheme": self.scheme,
            "uri": self.uri,
            "gtin": self.gtin,
            "serial": self.serial,
            "sscc": self.sscc,
            "is_gs1": self.is_gs1,
        }


def decode_epc(data: str | bytes) -> EPC:
    """Decode an EPC given as hex text (spaces and ``0x`` tolerated) or as raw bytes.

    Never raises for a well-formed value: an unknown header or a value that breaks its
    scheme's rules gives ``EPC(hex=…, scheme=None)``. Raises ``InvalidEPC`` for non-hex
    text, empty input, an odd number of hex digits (EPCs are whole bytes on the air and in
    every reader report) and anything longer than ``MAX_EPC_BYTES``.
    """
    return _decode_hex(_normalise(data))


def parse_epc_uri(uri: str) -> EPC:
    """Parse a pure identity URI (``urn:epc:id:…``) or a tag URI (``urn:epc:tag:…``).

    A pure identity says what the tag identifies but not how it is encoded, so its ``hex``
    is ``""``; a tag URI is encoded, so ``hex`` is filled. Raises ``InvalidEPC`` when the URI
    is malformed or cannot be encoded in the scheme it names.
    """
    text = uri.strip()
    if len(text) > _MAX_TEXT:
        raise InvalidEPC("EPC URI is too long")
    if match := _ID_URI.fullmatch(text):
        try:
            scheme = epc_pure_identity_to_scheme(text)
        except _EPCPY_ERRORS as exc:
            raise InvalidEPC(f"not a valid EPC pure identity URI: {uri!r}") from exc
        return _from_scheme(scheme, hex_="", scheme_name=match.group(1))
    if match := _TAG_URI.fullmatch(text):
        name = f"{match.group(1)}-{match.group(2)}"
        try:
            tag = tag_uri_to_tag_encodable(text)
            hex_ = _encode_hex(tag, name, match.group(3).split(".", 1)[0])
        except _EPCPY_ERRORS as exc:
            raise InvalidEPC(f"not a valid EPC tag URI: {uri!r}") from exc
        return _from_scheme(tag, hex_=hex_, scheme_name=name)
    raise InvalidEPC(f"not an EPC URI: {uri!r}")


def _normalise(data: str | bytes) -> str:
    """Upper-case hex digits of ``data``, or ``InvalidEPC``."""
    if isinstance(data, bytes):
        if not data:
            raise InvalidEPC("empty EPC")
        if len(data) > MAX_EPC_BYTES:
            raise InvalidEPC(f"EPC longer than {MAX_EPC_BYTES} bytes")
        return data.hex().upper()
    if len(data) > _MAX_TEXT:
        raise InvalidEPC("EPC text is too long")
    text = _WHITESPACE.sub("", data).upper()
    text = text.removeprefix("0X")
    if not text:
        raise InvalidEPC("empty EPC")
    if _NON_HEX.search(text):
        raise InvalidEPC(f"EPC is not hex: {data!r}")
    if len(text) % 2:
        raise InvalidEPC(f"EPC has an odd number of hex digits: {data!r}")
    if len(text) > 2 * MAX_EPC_BYTES:
        raise InvalidEPC(f"EPC longer than {MAX_EPC_BYTES} bytes")
    return text


@lru_cache(maxsize=65536)  # a portal sees the same few thousand tags over and over
def _decode_hex(hex_: str) -> EPC:
    bits = f"{int(hex_, 16):0{len(hex_) * 4}b}"
    cls = TAG_ENCODABLE_BINARY_HEADERS.get(bits[:8])
    if cls is None:
        return EPC(hex=hex_)
    try:
        scheme = cls.from_binary(bits)
        name = cls.header_to_schemes()[bits[:8]].value
    except _EPCPY_ERRORS:
        return EPC(hex=hex_)  # right header, broken body: a mis-programmed tag
    return _from_scheme(scheme, hex_=hex_, scheme_name=str(name))


def _from_scheme(scheme: EPCScheme, *, hex_: str, scheme_name: str) -> EPC:
    gtin = serial = sscc = None
    if isinstance(scheme, SGTIN):
        gtin = scheme.gtin()
        # urn:epc:id:sgtin:<company prefix>.<indicator + item ref>.<serial, URI-escaped>
        serial = unquote(scheme.epc_uri.split(":", 4)[4].split(".", 2)[2])
    elif isinstance(scheme, SSCC):
        sscc = scheme.gs1_key()
    return EPC(
        hex=hex_, scheme=scheme_name, uri=scheme.epc_uri, gtin=gtin, serial=serial, sscc=sscc
    )


def _encode_hex(tag: TagEncodable, scheme_name: str, filter_text: str) -> str:
    """The binary encoding named by a tag URI, as upper-case hex.

    epcpy's ``hex()`` takes each scheme's own enums; they follow one naming pattern
    (``SGTIN.BinaryCodingScheme``, ``SGTINFilterValue``) that is looked up here. GID has no
    filter value.
    """
    cls = type(tag)
    kwargs: dict[str, Enum] = {"binary_coding_scheme": cls.BinaryCodingScheme(scheme_name)}
    filter_enum = getattr(sys.modules[cls.__module__], f"{cls.__name__}FilterValue", None)
    if filter_enum is not None:
        kwargs["filter_value"] = filter_enum(filter_text)
    hex_ = tag.hex(**kwargs)
    bits = int(scheme_name.rsplit("-", 1)[1]) if scheme_name[-1].isdigit() else 0
    width = -(-bits // 16) * 4  # whole 16-bit words, as written to a tag
    return hex_.upper().zfill(width)
