"""EPC decoding, checked against an encoder written here from the GS1 TDS tables.

Expected values are computed bit by bit in this file (partition tables, GS1 check digit,
7-bit serial characters), never by asking epcpy, so a wrong answer from the library shows.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.epc import EPC, MAX_EPC_BYTES, InvalidEPC, decode_epc, parse_epc_uri

# GS1 TDS partition tables: partition -> (company prefix bits, digits, item/serial ref bits, digits)
SGTIN_PARTITIONS = {
    0: (40, 12, 4, 1),
    1: (37, 11, 7, 2),
    2: (34, 10, 10, 3),
    3: (30, 9, 14, 4),
    4: (27, 8, 17, 5),
    5: (24, 7, 20, 6),
    6: (20, 6, 24, 7),
}
SSCC_PARTITIONS = {
    0: (40, 12, 18, 5),
    1: (37, 11, 21, 6),
    2: (34, 10, 24, 7),
    3: (30, 9, 28, 8),
    4: (27, 8, 31, 9),
    5: (24, 7, 34, 10),
    6: (20, 6, 38, 11),
}


def check_digit(digits: str) -> str:
    """GS1 mod-10: weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def to_hex(bits: str) -> str:
    bits += "0" * (-len(bits) % 16)  # tags store whole 16-bit words
    return f"{int(bits, 2):0{len(bits) // 4}X}"


def sgtin96(filter_: int, company: str, item: str, serial: int) -> str:
    partition = {12: 0, 11: 1, 10: 2, 9: 3, 8: 4, 7: 5, 6: 6}[len(company)]
    m, _, n, k = SGTIN_PARTITIONS[partition]
    assert len(item) == k
    bits = (
        f"{0x30:08b}{filter_:03b}{partition:03b}{int(company):0{m}b}{int(item):0{n}b}{serial:038b}"
    )
    assert len(bits) == 96
    return to_hex(bits)


def sgtin198(filter_: int, company: str, item: str, serial: str) -> str:
    partition = {12: 0, 11: 1, 10: 2, 9: 3, 8: 4, 7: 5, 6: 6}[len(company)]
    m, _, n, _ = SGTIN_PARTITIONS[partition]
    chars = "".join(f"{ord(c):07b}" for c in serial).ljust(140, "0")
    bits = f"{0x36:08b}{filter_:03b}{partition:03b}{int(company):0{m}b}{int(item):0{n}b}{chars}"
    assert len(bits) == 198
    return to_hex(bits)


def sscc96(filter_: int, company: str, serial_ref: str) -> str:
    partition = {12: 0, 11: 1, 10: 2, 9: 3, 8: 4, 7: 5, 6: 6}[len(company)]
    m, _, n, k = SSCC_PARTITIONS[partition]
    assert len(serial_ref) == k
    bits = f"{0x31:08b}{filter_:03b}{partition:03b}{int(company):0{m}b}{int(serial_ref):0{n}b}"
    bits += "0" * 24  # reserved
    assert len(bits) == 96
    return to_hex(bits)


def gtin_of(company: str, item: str) -> str:
    """GTIN-14: indicator digit (first of the item reference), prefix, rest, check digit."""
    body = item[0] + company + item[1:]
    return body + check_digit(body)


def hand_decode_sgtin96(hex_: str) -> tuple[str, str]:
    """Bit-level SGTIN-96 decode from the partition table: (GTIN-14, serial)."""
    bits = f"{int(hex_, 16):096b}"
    assert int(bits[:8], 2) == 0x30
    m, l_digits, n, k = SGTIN_PARTITIONS[int(bits[11:14], 2)]
    company = f"{int(bits[14 : 14 + m], 2):0{l_digits}d}"
    item = f"{int(bits[14 + m : 14 + m + n], 2):0{k}d}"
    return gtin_of(company, item), str(int(bits[58:], 2))


def test_the_tds_example_decodes_to_what_the_bits_say() -> None:
    hex_ = "3074257BF7194E4000001A85"
    assert hand_decode_sgtin96(hex_) == ("80614141123458", "6789")
    epc = decode_epc(hex_)
    assert epc == EPC(
        hex=hex_,
        scheme="sgtin-96",
        uri="urn:epc:id:sgtin:0614141.812345.6789",
        gtin="80614141123458",
        serial="6789",
        sscc=None,
    )
    assert epc.is_gs1


@pytest.mark.parametrize(
    ("company", "item", "serial"),
    [
        ("061414112345", "8", 0),  # partition 0: 12-digit prefix
        ("06141411234", "81", 1),
        ("0614141123", "812", 274877906943),  # largest 38-bit serial
        ("061414112", "8123", 42),
        ("06141411", "81234", 1000),
        ("0614141", "812345", 6789),  # partition 5, the TDS example
        ("614141", "0123456", 99),  # partition 6, indicator digit 0
    ],
)
def test_sgtin96_every_partition(company: str, item: str, serial: int) -> None:
    hex_ = sgtin96(3, company, item, serial)
    epc = decode_epc(hex_)
    assert epc.scheme == "sgtin-96"
    assert epc.gtin == gtin_of(company, item)
    assert (epc.gtin, epc.serial) == hand_decode_sgtin96(hex_)
    assert epc.serial == str(serial)
    assert epc.uri == f"urn:epc:id:sgtin:{company}.{item}.{serial}"


@pytest.mark.parametrize(
    ("serial", "uri_serial"),
    [
        ("32a/b", "32a%2Fb"),  # '/' is escaped in the URI, not in the serial
        ("ABC-123_x", "ABC-123_x"),
        ("12345678901234567890", "12345678901234567890"),  # 20 characters, the maximum
        ("0042", "0042"),  # leading zeros survive: a 198 serial is text
    ],
)
def test_sgtin198_alphanumeric_serial(serial: str, uri_serial: str) -> None:
    hex_ = sgtin198(1, "0614141", "712345", serial)
    assert len(hex_) == 52  # 198 bits in 13 words
    epc = decode_epc(hex_)
    assert epc.scheme == "sgtin-198"
    assert epc.gtin == gtin_of("0614141", "712345") == "70614141123451"
    assert epc.serial == serial
    assert epc.uri == f"urn:epc:id:sgtin:0614141.712345.{uri_serial}"


@pytest.mark.parametrize(
    ("company", "serial_ref"),
    [("0614141", "1234567890"), ("061414112345", "12345"), ("614141", "99999999999")],
)
def test_sscc96(company: str, serial_ref: str) -> None:
    epc = decode_epc(sscc96(0, company, serial_ref))
    body = serial_ref[0] + company + serial_ref[1:]
    assert epc.scheme == "sscc-96"
    assert epc.sscc == body + check_digit(body)
    assert epc.gtin is None and epc.serial is None
    assert epc.uri == f"urn:epc:id:sscc:{company}.{serial_ref}"


def test_sscc_tds_example() -> None:
    epc = decode_epc(sscc96(0, "0614141", "1234567890"))
    assert epc.sscc == "106141412345678908"


@pytest.mark.parametrize(
    ("hex_", "why"),
    [
        ("000000000000000000000000", "unprogrammed tag"),
        ("E2801160600002054CC2096F", "factory EPC copied from the TID"),
        ("AD0A57B5E2F3B7E7BC1C0342", "vendor-specific header"),
        ("30", "SGTIN header, too short for SGTIN-96"),
        ("3074257BF7194E40", "SGTIN header, 64 bits"),
        ("3114257BF7194E4000001A85", "SSCC header over an SGTIN body: item ref overflows"),
        ("37", "GRAI-170 header alone"),
        (to_hex(f"{0x30:08b}{3:03b}{7:03b}" + "0" * 82), "SGTIN-96 with partition 7"),
    ],
)
def test_well_formed_non_gs1_values_are_data(hex_: str, why: str) -> None:
    epc = decode_epc(hex_)
    assert epc == EPC(hex=hex_), why
    assert not epc.is_gs1
    assert epc.as_dict()["is_gs1"] is False


def test_trailing_words_after_an_sgtin96_are_kept_in_hex() -> None:
    # A 128-bit EPC bank programmed with a 96-bit SGTIN plus two zero words.
    epc = decode_epc("3074257BF7194E4000001A8500000000")
    assert epc.scheme == "sgtin-96" and epc.gtin == "80614141123458"
    assert epc.hex == "3074257BF7194E4000001A8500000000"


@pytest.mark.parametrize(
    "text",
    [
        "3074257bf7194e4000001a85",
        "30 74 25 7B F7 19 4E 40 00 00 1A 85",
        "0x3074257BF7194E4000001A85",
        "  3074 257B F719 4E40 0000 1A85\n",
        bytes.fromhex("3074257BF7194E4000001A85"),
    ],
)
def test_input_forms(text: str | bytes) -> None:
    assert decode_epc(text).hex == "3074257BF7194E4000001A85"
    assert decode_epc(text).gtin == "80614141123458"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        b"",
        "0x",
        "3074257BF7194E4000001A8G",  # not hex
        "3074-257B",  # separators other than whitespace
        "307",  # odd number of digits
        "3074257BF7194E4000001A8",
        "00" * (MAX_EPC_BYTES + 1),
        b"\x30" * (MAX_EPC_BYTES + 1),
        "0" * 10_000,
    ],
)
def test_invalid_input_raises(bad: str | bytes) -> None:
    with pytest.raises(InvalidEPC):
        decode_epc(bad)


def test_longest_epc_bank_is_accepted() -> None:
    assert decode_epc("AB" * MAX_EPC_BYTES).scheme is None


@given(st.binary(min_size=1, max_size=MAX_EPC_BYTES))
def test_any_bytes_decode_without_crashing(data: bytes) -> None:
    epc = decode_epc(data)
    assert epc.hex == data.hex().upper()
    if epc.scheme is not None:
        assert epc.uri is not None and epc.uri.startswith("urn:epc:id:")


@given(st.binary(min_size=11, max_size=11))
def test_anything_behind_a_gs1_header_decodes_without_crashing(body: bytes) -> None:
    for header in (0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3C):
        decode_epc(bytes([header]) + body + bytes(20))


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "urn:epc:id:sgtin:0614141.812345.6789",
            EPC(
                hex="",
                scheme="sgtin",
                uri="urn:epc:id:sgtin:0614141.812345.6789",
                gtin="80614141123458",
                serial="6789",
            ),
        ),
        (
            "urn:epc:id:sscc:0614141.1234567890",
            EPC(
                hex="",
                scheme="sscc",
                uri="urn:epc:id:sscc:0614141.1234567890",
                sscc="106141412345678908",
            ),
        ),
        (
            "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
            EPC(
                hex="3074257BF7194E4000001A85",
                scheme="sgtin-96",
                uri="urn:epc:id:sgtin:0614141.812345.6789",
                gtin="80614141123458",
                serial="6789",
            ),
        ),
        (
            "urn:epc:tag:sgtin-198:1.0614141.712345.32a%2Fb",
            EPC(
                hex=sgtin198(1, "0614141", "712345", "32a/b"),
                scheme="sgtin-198",
                uri="urn:epc:id:sgtin:0614141.712345.32a%2Fb",
                gtin="70614141123451",
                serial="32a/b",
            ),
        ),
        (
            "urn:epc:tag:sscc-96:0.0614141.1234567890",
            EPC(
                hex=sscc96(0, "0614141", "1234567890"),
                scheme="sscc-96",
                uri="urn:epc:id:sscc:0614141.1234567890",
                sscc="106141412345678908",
            ),
        ),
    ],
)
def test_parse_uri(uri: str, expected: EPC) -> None:
    assert parse_epc_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "scheme"),
    [
        ("urn:epc:tag:sgln-96:3.0614141.12345.400", "sgln-96"),
        ("urn:epc:tag:grai-96:0.0614141.12345.400", "grai-96"),
        ("urn:epc:tag:giai-96:1.0614141.12345", "giai-96"),
        ("urn:epc:tag:gid-96:95100000.12345.400", "gid-96"),
    ],
)
def test_tag_uri_round_trips_through_hex(uri: str, scheme: str) -> None:
    from_uri = parse_epc_uri(uri)
    assert from_uri.scheme == scheme
    assert decode_epc(from_uri.hex) == from_uri


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "urn:epc:id",
        "urn:epc:id:sgtin",
        "urn:epc:id:sgtin:0614141.81234.1",  # prefix + item ref must be 13 digits
        "urn:epc:id:sgtin:0614141.812345",  # no serial
        "urn:epc:id:nosuch:1.2.3",
        "urn:epc:tag:sgtin-96:3.0614141.812345.abc",  # SGTIN-96 serials are numeric
        "urn:epc:tag:sgtin-96:9.0614141.812345.1",  # filter is 0-7
        "urn:epc:tag:sgtin-97:3.0614141.812345.1",
        "urn:epc:idpat:sgtin:0614141.812345.*",
        "http://example.com/01/80614141123458/21/6789",
    ],
)
def test_malformed_uri_raises(bad: str) -> None:
    with pytest.raises(InvalidEPC):
        parse_epc_uri(bad)


def test_as_dict() -> None:
    assert decode_epc("3074257BF7194E4000001A85").as_dict() == {
        "hex": "3074257BF7194E4000001A85",
        "scheme": "sgtin-96",
        "uri": "urn:epc:id:sgtin:0614141.812345.6789",
        "gtin": "80614141123458",
        "serial": "6789",
        "sscc": None,
        "is_gs1": True,
    }
