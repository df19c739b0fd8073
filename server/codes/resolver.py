"""What a scanned code is: one set of rules for the scan ledger, ``/api/codes`` and ``/api/decode``.

The scanner library says what a text *claims* (a GTIN, a GS1 element string, an EPC URI,
plain text); this module decides what it *is* here, against the rows a repository loaded
for it (``CodeIndex``). Pure: no I/O, so the writer thread and a request share it.

Order, first match wins:
1. a GS1 code that does not parse (bad check digit, bad date) is invalid;
2. a product: by one of its barcodes (raw text, or without the AIM prefix), its SKU, or its
   GTIN-14 (EAN-13, UPC-A and GTIN-14 of one item are one product); GS1 data adds lot,
   expiry, serial and quantity;
3. an SSCC (AI 00 without a GTIN): a pallet or parcel;
4. a location, by its code or barcode;
5. a serial number of a serial-tracked product that is in the books;
6. a document (purchase order, sales order, pick list…) of a registered kind;
7. otherwise unknown, with everything the code says so a client can offer to link it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Row

from scanner import GS1Data, InvalidCode, gtin14, interpret, split_aim
from server import errors

Kind = Literal["product", "sscc", "location", "serial", "document", "unknown"]
ContentType = Literal["gs1", "epc", "plain"]


@dataclass(frozen=True, slots=True)
class DocumentRef:
    type: str  # "purchase_order", "sales_order", "pick_list", …
    number: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """A kind of document whose barcode is its number, e.g. ``PO-000123``.

    A domain with printable documents registers one (``register_document_kind``) with a
    statement selecting ``number`` and ``status`` for the expanding parameter ``numbers``;
    the resolver then recognises their barcodes.

    ``reserved``: the document reads its moves from the ledger by its number (``reference``),
    so a plain scan may not carry one (``reserved_reference``).
    """

    type: str
    prefix: str
    statement: Any  # a Select of (number, status) WHERE number IN :numbers
    reserved: bool = True


DOCUMENT_KINDS: dict[str, DocumentKind] = {}


def register_document_kind(kind: DocumentKind) -> None:
    DOCUMENT_KINDS[kind.type] = kind


def document_kind_of(number: str) -> DocumentKind | None:
    """The reserved kind whose numbers look like this one (prefix, then digits)."""
    head = number.strip().upper()
    for kind in DOCUMENT_KINDS.values():
        if not kind.reserved:
            continue
        if head.startswith(kind.prefix.upper()) and head[len(kind.prefix) :].isdigit():
            return kind
    return None


@dataclass(slots=True)
class CodeIndex:
    """The rows a batch of codes may refer to, keyed the ways the rules look them up."""

    products: dict[str, Row[Any]] = field(default_factory=dict)  # by barcode or SKU
    products_by_gtin: dict[str, Row[Any]] = field(default_factory=dict)
    locations: dict[str, Row[Any]] = field(default_factory=dict)  # by code or barcode
    serials: dict[str, list[Row[Any]]] = field(default_factory=dict)  # number -> lot+product
    documents: dict[str, DocumentRef] = field(default_factory=dict)  # by number

    def add_products(self, rows: Iterable[Row[Any]], codes: set[str], gtins: set[str]) -> None:
        rows = list(rows)
        for row in rows:  # a SKU that equals another product's barcode: the barcode wins
            if row.sku in codes:
                self.products[row.sku] = row
        for row in rows:
            if row.barcode in codes:
                self.products[row.barcode] = row
            if row.gtin14 in gtins:
                self.products_by_gtin[row.gtin14] = row

    def add_locations(self, rows: Iterable[Row[Any]]) -> None:
        for loc in rows:
            self.locations[loc.code] = loc
            if loc.barcode:
                self.locations[loc.barcode] = loc

    def add_serials(self, rows: Iterable[Row[Any]]) -> None:
        for row in rows:
            self.serials.setdefault(row.lot_number, []).append(row)


@dataclass(frozen=True, slots=True)
class Wanted:
    """What to load for some codes: texts to match as barcode/SKU/location/serial, GTINs."""

    codes: set[str]
    gtins: set[str]


def wanted(raw_codes: Iterable[str]) -> Wanted:
    codes: set[str] = set()
    gtins: set[str] = set()
    for raw in raw_codes:
        codes.add(raw)
        try:
            plain, gs1 = interpret(raw)
        except InvalidCode:
            continue
        codes.add(plain)
        g = gs1.gtin if gs1 else gtin14(plain)
        if g:
            gtins.add(g)
    return Wanted(codes, gtins)


@dataclass(slots=True)
class Resolution:
    code: str  # as scanned
    kind: Kind
    text: str  # without the AIM identifier
    aim: str
    gs1: GS1Data | None = None
    gtin: str | None = None
    product: Row[Any] | None = None
    serial_lot: Row[Any] | None = None  # a known serial: its lot row with the product's
    location: Row[Any] | None = None
    document: DocumentRef | None = None

    @property
    def content_type(self) -> ContentType:
        if self.text.lower().startswith("urn:epc:"):
            return "epc"
        return "gs1" if self.gs1 is not None else "plain"

    @property
    def lot(self) -> str | None:
        return self.gs1.lot if self.gs1 else None

    @property
    def serial(self) -> str | None:
        if self.serial_lot is not None:
            return str(self.serial_lot.lot_number)
        return self.gs1.serial if self.gs1 else None

    @property
    def expiry(self) -> date | None:
        return self.gs1.expiry if self.gs1 else None

    @property
    def quantity(self) -> Decimal | None:
        return self.gs1.quantity if self.gs1 else None

    def decoded(self) -> dict[str, Any]:
        """What the code says, JSON-ready: the details of an ``unknown_code`` rejection."""
        out: dict[str, Any] = {
            "code": self.code,
            "text": self.text,
            "aim": self.aim or None,
            "content_type": self.content_type,
            "gtin": self.gtin,
        }
        if self.gs1 is not None:
            out["gs1"] = self.gs1.as_dict()
        return out

    def not_a_product(self) -> errors.AppError:
        """The rejection for a scan that needed an item but got this."""
        if self.kind == "location":
            assert self.location is not None
            return errors.NotAnItem(
                f"{self.location.code} is a location: scan it as the location, then the item.",
                **self.decoded(),
                location=self.location.code,
            )
        if self.kind == "sscc":
            return errors.NotAnItem(
                f"SSCC {self.gs1.sscc if self.gs1 else self.text} identifies a pallet or "
                "parcel, not an item: scan the items' labels.",
                **self.decoded(),
            )
        if self.kind == "document":
            assert self.document is not None
            return errors.NotAnItem(
                f"{self.document.number} is a {self.document.type.replace('_', ' ')}, not an item.",
                **self.decoded(),
                document=self.document.number,
            )
        what = f"GTIN {self.gtin}" if self.gtin else repr(self.text)
        return errors.UnknownCode(
            f"No product has the code {what}; link it to a product to use it.", **self.decoded()
        )


def resolve(code: str, index: CodeIndex) -> Resolution:
    """What ``code`` is. Raises ``errors.InvalidCode`` for a GS1 code that does not parse."""
    aim, _ = split_aim(code)
    try:
        plain, gs1 = interpret(code)
    except InvalidCode as exc:
        raise errors.InvalidCode(
            f"The code {code!r} is not a valid GS1 code: {exc}", code=code
        ) from exc
    g = gs1.gtin if gs1 else gtin14(plain)
    found = Resolution(code, "unknown", plain, aim, gs1, g)

    product = index.products.get(code) or index.products.get(plain)
    if product is None and g:
        product = index.products_by_gtin.get(g)
    if product is not None:
        found.kind, found.product = "product", product
        return found
    if gs1 is not None and gs1.sscc and not gs1.gtin:
        found.kind = "sscc"
        return found
    if gs1 is None:
        location = index.locations.get(code) or index.locations.get(plain)
        if location is not None:
            found.kind, found.location = "location", location
            return found
    # A bare serial number (a GS1 code with one names its product by GTIN, handled above).
    held = index.serials.get(plain) if gs1 is None else None
    if held and len(held) == 1:
        found.kind, found.serial_lot, found.product = "serial", held[0], held[0]
        return found
    document = index.documents.get(plain) if gs1 is None else None
    if document is not None:
        found.kind, found.document = "document", document
    return found
