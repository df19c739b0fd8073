"""What a scanned text says: GS1 element strings in every wrapping, GTINs, EPC URIs, and
plain codes that only look like GS1. Table-driven."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scanner import GS1Data, InvalidCode, gtin14, interpret, split_aim

GS = "\x1d"
GTIN = "09501101530003"  # GS1's example GTIN-14 (valid check digit)


def gs1(**kw: object) -> dict[str, object]:
    """The fields of a GS1Data that a case cares about."""
    return kw


CASES: list[tuple[str, str, dict[str, object]]] = [
    # AI by AI, as a GS1-128 with its AIM identifier
    ("gtin", f"]C101{GTIN}", gs1(gtin=GTIN)),
    ("lot", f"]C101{GTIN}10ABC-123", gs1(gtin=GTIN, lot="ABC-123")),
    ("expiry", f"]C101{GTIN}17261130", gs1(expiry=date(2026, 11, 30))),
    ("expiry day 00 is month end", f"]C101{GTIN}17260200", gs1(expiry=date(2026, 2, 28))),
    ("best before", f"]C101{GTIN}15270115", gs1(best_before=date(2027, 1, 15))),
    ("serial", f"]C101{GTIN}21SN0001", gs1(gtin=GTIN, serial="SN0001")),
    ("count AI 30", f"]C101{GTIN}3024", gs1(quantity=Decimal(24))),
    ("count AI 37", f"]C10209501101530003{'37'}48", gs1(quantity=Decimal(48))),
    ("net kg 3102", f"]C101{GTIN}3102001250", gs1(quantity=Decimal("12.50"))),
    ("sscc", "]C100106141411234567897", gs1(sscc="106141411234567897", gtin=None)),
    (
        "everything, FNC1 as GS",
        f"]C101{GTIN}1726113010LOT7{GS}2199{GS}3012",
        gs1(gtin=GTIN, expiry=date(2026, 11, 30), lot="LOT7", serial="99", quantity=Decimal(12)),
    ),
    # the same data in other symbologies and wrappings
    (
        "GS1 DataMatrix ]d2",
        f"]d201{GTIN}10L1{GS}17261130",
        gs1(lot="L1", expiry=date(2026, 11, 30)),
    ),
    ("GS1 QR ]Q3", f"]Q301{GTIN}10L1", gs1(gtin=GTIN, lot="L1")),
    ("GS1 DataBar ]e0", f"]e001{GTIN}3017", gs1(quantity=Decimal(17))),
    ("raw element string", f"01{GTIN}10L2{GS}3005", gs1(lot="L2", quantity=Decimal(5))),
    ("raw SSCC", "00106141411234567897", gs1(sscc="106141411234567897")),
    ("HRI", f"(01){GTIN}(17)261130(10)L3", gs1(lot="L3", expiry=date(2026, 11, 30))),
    (
        "Digital Link",
        f"https://id.gs1.org/01/{GTIN}/10/L4?17=261130",
        gs1(gtin=GTIN, lot="L4", expiry=date(2026, 11, 30)),
    ),
    (
        "Digital Link on a brand domain",
        f"https://example.com/01/{GTIN}/21/S9",
        gs1(gtin=GTIN, serial="S9"),
    ),
    # EAN-13 inside a GS1 element string comes back as GTIN-14
    ("GTIN-13 padded", "]C10104006381333931", gs1(gtin="04006381333931")),
    # RFID: EPC pure identity URIs (what the dock agent sends for a tag)
    (
        "EPC SGTIN URI",
        "urn:epc:id:sgtin:0614141.812345.6789",
        gs1(gtin="80614141123458", serial="6789"),
    ),
    ("EPC SSCC URI", "urn:epc:id:sscc:0614141.1234567890", gs1(sscc="106141412345678908")),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_gs1_fields(name: str, text: str, expected: dict[str, object]) -> None:
    _, data = interpret(text)
    assert isinstance(data, GS1Data), name
    for key, value in expected.items():
        assert getattr(data, key) == value, (name, key, data)


PLAIN: list[tuple[str, str, str]] = [
    # A lot-looking internal code on a plain Code 128 is not "AI 10 = D9T".
    ("plain Code 128 with AIM", "]C010D9T", "10D9T"),
    ("bare text", "10D9T", "10D9T"),
    ("bare EAN-13 is a GTIN, not an element string", "4006381333931", "4006381333931"),
    ("EAN-13 with AIM", "]E04006381333931", "4006381333931"),
    ("Code 39", "]A0PART-77", "PART-77"),
    ("QR plain text", "]Q1hello world", "hello world"),
    ("ordinary URL in a QR", "https://example.com/menu", "https://example.com/menu"),
    ("a 01 prefix without a valid GTIN", "0112345678901234", "0112345678901234"),
    ("location code", "A-01-03", "A-01-03"),
    (
        "non-GS1 EPC URI stays plain",
        "urn:epc:id:giai:0614141.12345400",
        "urn:epc:id:giai:0614141.12345400",
    ),
]


@pytest.mark.parametrize(("name", "text", "plain"), PLAIN, ids=[c[0] for c in PLAIN])
def test_plain_codes_stay_plain(name: str, text: str, plain: str) -> None:
    assert interpret(text) == (plain, None), name


INVALID: list[tuple[str, str]] = [
    ("GTIN check digit", "]C10109501101530004"),
    ("SSCC check digit", "]C100106141411234567890"),
    ("impossible date", f"]C101{GTIN}17261332"),
    ("truncated GTIN", "]C1010950110153"),
    ("truncated after AI", f"]C101{GTIN}17"),
    ("unknown AI", f"]C101{GTIN}9Z"),
    ("HRI with bad check digit", "(01)09501101530004"),
    ("HRI missing value", "(01)"),
    ("raw SSCC with bad check digit", "00106141411234567890"),
    ("EPC URI malformed", "urn:epc:id:sgtin:garbage"),
]


@pytest.mark.parametrize(("name", "text"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_gs1_is_refused_not_guessed(name: str, text: str) -> None:
    with pytest.raises(InvalidCode):
        interpret(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("09501101530003", "09501101530003"),  # GTIN-14
        ("4006381333932", None),  # bad check digit
        ("12345", None),
        ("ABCDEFGHIJKLM", None),
    ],
)
def test_gtin14_equivalence(text: str, expected: str | None) -> None:
    assert gtin14(text) == expected


def test_split_aim() -> None:
    assert split_aim("]d2010950") == ("]d2", "010950")
    assert split_aim("plain") == ("", "plain")
    assert split_aim("]") == ("", "]")
