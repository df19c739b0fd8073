"""The SQL of code resolution, shared by the scan writer (a synchronous connection inside
its batch transaction) and requests (an async session).

A look-up is a *plan*: a generator that yields ``(statement, params)`` and receives the
rows, so the same statements and order run on either kind of connection. Statements are
built once at import (the writer binds parameters only).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.codes.resolver import DOCUMENT_KINDS, CodeIndex, DocumentRef, resolve, wanted
from server.models import Location, Lot, Product, ProductBarcode, Tracking, Warehouse


def documents_by_number(model: Any) -> Any:
    """The statement a ``DocumentKind`` registers: ``number`` and ``status`` of the documents
    of ``model`` (a table with both columns) whose number is in ``:numbers``."""
    return select(model.number.label("number"), model.status.label("status")).where(
        model.number.in_(bindparam("numbers", expanding=True))
    )


product_t = Product.__table__  # type: ignore[attr-defined]
barcode_t = ProductBarcode.__table__  # type: ignore[attr-defined]
loc_t = Location.__table__  # type: ignore[attr-defined]
lot_t = Lot.__table__  # type: ignore[attr-defined]
wh_t = Warehouse.__table__  # type: ignore[attr-defined]

Plan = Generator[tuple[Any, dict[str, Any]], Sequence[Row[Any]], CodeIndex]


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


class _Statements:
    # One row per product barcode, with the product's columns and ``barcode``/``gtin14``.
    products = (
        select(product_t, barcode_t.c.code.label("barcode"), barcode_t.c.gtin14)
        .outerjoin(barcode_t, barcode_t.c.product_id == product_t.c.id)
        .where(
            or_(
                barcode_t.c.code.in_(_expanding("codes")),
                barcode_t.c.gtin14.in_(_expanding("gtins")),
                product_t.c.sku.in_(_expanding("codes")),
            )
        )
    )
    locations = (
        select(loc_t, wh_t.c.code.label("warehouse_code"))
        .join(wh_t, wh_t.c.id == loc_t.c.warehouse_id)
        .where(or_(loc_t.c.code.in_(_expanding("codes")), loc_t.c.barcode.in_(_expanding("codes"))))
    )
    # A serial-tracked product's serial numbers are its lots: the lot with its product.
    serials = (
        select(
            product_t,
            lot_t.c.id.label("lot_id"),
            lot_t.c.number.label("lot_number"),
            lot_t.c.expiry.label("lot_expiry"),
        )
        .join(product_t, product_t.c.id == lot_t.c.product_id)
        .where(lot_t.c.number.in_(_expanding("codes")), product_t.c.tracking == Tracking.serial)
    )


def index_plan(raw_codes: Iterable[str]) -> Plan:
    """Load what these codes may refer to: products always; locations, serials and
    documents only for codes that are not a product (the rare path costs the queries)."""
    raws = sorted(set(raw_codes))
    want = wanted(raws)
    index = CodeIndex()
    params = {"codes": sorted(want.codes), "gtins": sorted(want.gtins)}
    index.add_products((yield _Statements.products, params), want.codes, want.gtins)

    rest: set[str] = set()
    for raw in raws:
        try:
            found = resolve(raw, index)
        except errors.InvalidCode:
            continue
        if found.product is None:
            rest.update((raw, found.text))
    if not rest:
        return index
    codes = {"codes": sorted(rest)}
    index.add_locations((yield _Statements.locations, codes))
    index.add_serials((yield _Statements.serials, codes))
    for kind in DOCUMENT_KINDS.values():
        numbers = sorted(c for c in rest if c.startswith(kind.prefix))
        if numbers:
            for row in (yield kind.statement, {"numbers": numbers}):
                index.documents[row.number] = DocumentRef(kind.type, row.number, row.status)
    return index


def run_plan(conn: Connection, plan: Plan) -> CodeIndex:
    try:
        step = next(plan)
        while True:
            step = plan.send(list(conn.execute(*step)))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_plan_async(session: AsyncSession, plan: Plan) -> CodeIndex:
    try:
        step = next(plan)
        while True:
            step = plan.send(list(await session.execute(*step)))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class CodesRepository:
    """Code look-ups for requests."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def index(self, codes: Iterable[str]) -> CodeIndex:
        return await run_plan_async(self.session, index_plan(codes))
