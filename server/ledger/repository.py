"""All SQL of the ledger: the head lock, idempotency records, quants, moves, and the
look-ups a batch of scans needs. Set-based: a batch costs a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from server.codes.repository import index_plan, run_plan
from server.codes.resolver import CodeIndex
from server.models import (
    VIRTUAL_KINDS,
    LedgerHead,
    Location,
    Lot,
    PostingCap,
    Product,
    ProductBarcode,
    ScanEvent,
    StockMove,
    StockQuant,
    Warehouse,
)

head_t = LedgerHead.__table__  # type: ignore[attr-defined]
event_t = ScanEvent.__table__  # type: ignore[attr-defined]
move_t = StockMove.__table__  # type: ignore[attr-defined]
quant_t = StockQuant.__table__  # type: ignore[attr-defined]
lot_t = Lot.__table__  # type: ignore[attr-defined]
loc_t = Location.__table__  # type: ignore[attr-defined]
product_t = Product.__table__  # type: ignore[attr-defined]
barcode_t = ProductBarcode.__table__  # type: ignore[attr-defined]
wh_t = Warehouse.__table__  # type: ignore[attr-defined]
cap_t = PostingCap.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class QuantRow:
    id: int | None
    product_id: int
    location_id: int
    lot_id: int | None
    qty: Decimal
    physical: bool
    dirty: bool = False


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class LedgerRepository:
    """Reads of the ledger, for requests and the stream (async)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def head(self) -> int:
        stmt = select(head_t.c.seq).where(head_t.c.id == 1)
        return int((await self.session.execute(stmt)).scalar_one())

    async def moves_since(
        self,
        since: int,
        limit: int,
        warehouse_ids: Sequence[int] | None = None,
        until: int | None = None,
    ) -> list[Row[Any]]:
        """Moves after ``since`` (up to ``until``), with the codes clients need."""
        src, dst = loc_t.alias("src"), loc_t.alias("dst")
        stmt = (
            select(
                move_t,
                product_t.c.sku,
                lot_t.c.number.label("lot"),
                src.c.code.label("from_location"),
                dst.c.code.label("to_location"),
                wh_t.c.code.label("warehouse"),
            )
            .join(product_t, product_t.c.id == move_t.c.product_id)
            .outerjoin(lot_t, lot_t.c.id == move_t.c.lot_id)
            .join(src, src.c.id == move_t.c.from_location_id)
            .join(dst, dst.c.id == move_t.c.to_location_id)
            .join(wh_t, wh_t.c.id == move_t.c.warehouse_id)
            .where(move_t.c.seq > since)
            .order_by(move_t.c.seq)
            .limit(limit)
        )
        if until is not None:
            stmt = stmt.where(move_t.c.seq <= until)
        if warehouse_ids is not None:
            stmt = stmt.where(move_t.c.warehouse_id.in_(list(warehouse_ids)))
        return list(await self.session.execute(stmt))

    async def stock(
        self,
        *,
        warehouse_ids: Sequence[int] | None,
        location: str | None = None,
        sku: str | None = None,
        lot: str | None = None,
        include_virtual: bool = False,
        limit: int = 10_000,
        offset: int = 0,
    ) -> list[Row[Any]]:
        stmt = (
            select(
                product_t.c.sku,
                product_t.c.name.label("product_name"),
                product_t.c.unit,
                loc_t.c.code.label("location"),
                loc_t.c.kind.label("location_kind"),
                wh_t.c.code.label("warehouse"),
                lot_t.c.number.label("lot"),
                lot_t.c.expiry,
                quant_t.c.qty,
            )
            .join(product_t, product_t.c.id == quant_t.c.product_id)
            .join(loc_t, loc_t.c.id == quant_t.c.location_id)
            .join(wh_t, wh_t.c.id == loc_t.c.warehouse_id)
            .outerjoin(lot_t, lot_t.c.id == quant_t.c.lot_id)
            .where(quant_t.c.qty != 0)
            .order_by(wh_t.c.code, loc_t.c.code, product_t.c.sku, lot_t.c.number)
            .limit(limit)
            .offset(offset)
        )
        if warehouse_ids is not None:
            stmt = stmt.where(loc_t.c.warehouse_id.in_(list(warehouse_ids)))
        if location is not None:
            stmt = stmt.where(or_(loc_t.c.code == location, loc_t.c.barcode == location))
        if sku is not None:
            stmt = stmt.where(product_t.c.sku == sku)
        if lot is not None:
            stmt = stmt.where(lot_t.c.number == lot)
        if not include_virtual:
            stmt = stmt.where(loc_t.c.kind.not_in(list(VIRTUAL_KINDS)))
        return list(await self.session.execute(stmt))

    async def document_flows(self, reference: str) -> list[Row[Any]]:
        """A document's moves (``reference`` = its number) summed per kind, product, lot
        (``lot_id``, ``lot`` number, ``expiry``) and (from, to) location: what it shipped,
        received, put away… is read from the ledger, never kept beside it."""
        keys = (
            move_t.c.kind,
            move_t.c.product_id,
            move_t.c.lot_id,
            lot_t.c.number.label("lot"),
            lot_t.c.expiry.label("expiry"),
            move_t.c.from_location_id,
            move_t.c.to_location_id,
        )
        stmt = (
            select(*keys, func.sum(move_t.c.qty).label("qty"))
            .select_from(move_t.outerjoin(lot_t, lot_t.c.id == move_t.c.lot_id))
            .where(move_t.c.reference == reference)
            .group_by(*keys)
        )
        return list(await self.session.execute(stmt))

    async def cap_usage(self, keys: Sequence[str]) -> dict[str, Decimal]:
        """What documents' postings have moved under these cap keys (absent: nothing yet)."""
        if not keys:
            return {}
        stmt = select(cap_t.c.key, cap_t.c.used).where(cap_t.c.key.in_(list(keys)))
        return {r.key: r.used for r in await self.session.execute(stmt)}

    async def ledger_balances(self) -> dict[tuple[int, int, int | None], Decimal]:
        """Sum of moves into minus out of each (product, location, lot), from the ledger."""
        balances: dict[tuple[int, int, int | None], Decimal] = {}
        for loc_col, sign in ((move_t.c.to_location_id, 1), (move_t.c.from_location_id, -1)):
            stmt = select(
                move_t.c.product_id,
                loc_col.label("loc"),
                move_t.c.lot_id,
                func.sum(move_t.c.qty).label("total"),
            ).group_by(move_t.c.product_id, loc_col, move_t.c.lot_id)
            for r in await self.session.execute(stmt):
                key = (r.product_id, r.loc, r.lot_id)
                balances[key] = balances.get(key, Decimal(0)) + sign * r.total
        return balances

    async def all_quants(self) -> dict[tuple[int, int, int | None], Decimal]:
        rows = await self.session.execute(select(quant_t))
        return {(r.product_id, r.location_id, r.lot_id): r.qty for r in rows}

    async def quant_rows(self) -> dict[tuple[int, int, int | None], tuple[int, Decimal]]:
        """Every quant: ``(id, qty)`` by (product, location, lot)."""
        rows = await self.session.execute(select(quant_t))
        return {(r.product_id, r.location_id, r.lot_id): (r.id, r.qty) for r in rows}

    async def all_moves(self) -> AsyncIterator[Any]:
        """Every move in seq order, streamed (the ledger may not fit in memory)."""
        stmt = select(
            move_t.c.seq,
            move_t.c.product_id,
            move_t.c.lot_id,
            move_t.c.qty,
            move_t.c.from_location_id,
            move_t.c.to_location_id,
            move_t.c.from_balance,
            move_t.c.to_balance,
        ).order_by(move_t.c.seq)
        result = await self.session.stream(stmt.execution_options(yield_per=5000))
        async for row in result:
            yield row

    async def names(self) -> dict[str, dict[int, str]]:
        """SKUs, location codes and lot numbers by id: for messages a person reads."""
        products = await self.session.execute(select(product_t.c.id, product_t.c.sku))
        locations = await self.session.execute(select(loc_t.c.id, loc_t.c.code))
        lots = await self.session.execute(select(lot_t.c.id, lot_t.c.number))
        return {
            "products": {i: s for i, s in products},
            "locations": {i: c for i, c in locations},
            "lots": {i: n for i, n in lots},
        }


def _expanding(name: str) -> Any:
    return bindparam(name, expanding=True)


def _locations_with_virtual() -> Any:
    asked = loc_t.alias("asked")
    refs, ids = _expanding("refs"), _expanding("ids")
    wanted = or_(asked.c.code.in_(refs), asked.c.barcode.in_(refs), asked.c.id.in_(ids))
    return (
        select(loc_t, wh_t.c.code.label("warehouse_code"))
        .join(wh_t, wh_t.c.id == loc_t.c.warehouse_id)
        .where(
            or_(
                loc_t.c.code.in_(refs),
                loc_t.c.barcode.in_(refs),
                loc_t.c.id.in_(ids),
                and_(
                    loc_t.c.kind.in_(sorted(VIRTUAL_KINDS)),
                    loc_t.c.warehouse_id.in_(select(asked.c.warehouse_id).where(wanted)),
                ),
            )
        )
    )


_QUANTS = select(quant_t, loc_t.c.kind).join(loc_t, loc_t.c.id == quant_t.c.location_id)


class _Writes:
    """The writer's statements, built once: a batch only binds parameters (building
    SQLAlchemy constructs per batch cost more CPU than running them)."""

    lock_head = select(head_t.c.seq).where(head_t.c.id == 1).with_for_update()
    set_head = update(head_t).where(head_t.c.id == 1).values(seq=bindparam("seq"))
    events = select(event_t.c.event_id, event_t.c.result).where(
        event_t.c.event_id.in_(_expanding("ids"))
    )
    insert_event = insert(event_t)
    locations = _locations_with_virtual()
    lots = select(lot_t).where(tuple_(lot_t.c.product_id, lot_t.c.number).in_(_expanding("keys")))
    lots_by_id = select(lot_t).where(lot_t.c.id.in_(_expanding("ids")))
    insert_lot = insert(lot_t).returning(lot_t.c.id)
    lot_expiry = (
        update(lot_t).where(lot_t.c.id == bindparam("b_id")).values(expiry=bindparam("b_expiry"))
    )
    quants_by_pair = _QUANTS.where(
        tuple_(quant_t.c.product_id, quant_t.c.location_id).in_(_expanding("pairs"))
    )
    quants_by_lot = _QUANTS.where(quant_t.c.lot_id.in_(_expanding("ids")))
    update_quant = (
        update(quant_t)
        .where(quant_t.c.id == bindparam("b_id"))
        .values(qty=bindparam("b_qty"), updated_seq=bindparam("b_seq"))
    )
    insert_quant = insert(quant_t)
    insert_move = insert(move_t)
    caps = select(cap_t.c.key, cap_t.c.used).where(cap_t.c.key.in_(_expanding("keys")))
    update_cap = (
        update(cap_t)
        .where(cap_t.c.key == bindparam("b_key"))
        .values(used=bindparam("b_used"), updated_seq=bindparam("b_seq"))
    )
    insert_cap = insert(cap_t)


class LedgerWriteRepository:
    """The writer's SQL: run on the writer thread's synchronous connection, one batch at a
    time, inside the transaction that holds the ledger head's lock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock_head(self) -> int:
        return int(self.conn.execute(_Writes.lock_head).scalar_one())

    def set_head(self, seq: int) -> None:
        self.conn.execute(_Writes.set_head, {"seq": seq})

    def applied_events(self, event_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(event_ids)):
            rows = self.conn.execute(_Writes.events, {"ids": list(chunk)})
            found.update({r.event_id: r.result for r in rows})
        return found

    def insert_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_Writes.insert_event, rows)

    def code_index(self, codes: Sequence[str]) -> CodeIndex:
        """What the scanned codes refer to (products, and for the rest locations, serials…)."""
        return run_plan(self.conn, index_plan(codes))

    def locations_with_virtual(self, refs: Sequence[str], ids: Sequence[int]) -> list[Row[Any]]:
        """Locations by code, barcode or id, plus the virtual locations of their warehouses,
        each with its ``warehouse_code``."""
        return list(self.conn.execute(_Writes.locations, {"refs": list(refs), "ids": list(ids)}))

    def lots(self, keys: Sequence[tuple[int, str]]) -> list[Row[Any]]:
        rows: list[Row[Any]] = []
        for chunk in _chunks(list(keys)):
            rows += list(self.conn.execute(_Writes.lots, {"keys": list(chunk)}))
        return rows

    def lots_by_ids(self, ids: Sequence[int]) -> list[Row[Any]]:
        return list(self.conn.execute(_Writes.lots_by_id, {"ids": list(ids)}))

    def insert_lot(self, product_id: int, number: str, expiry: date | None) -> int:
        params = {"product_id": product_id, "number": number, "expiry": expiry}
        return int(self.conn.execute(_Writes.insert_lot, params).scalar_one())

    def set_lot_expiry(self, lot_id: int, expiry: date) -> None:
        self.conn.execute(_Writes.lot_expiry, {"b_id": lot_id, "b_expiry": expiry})

    def quants(
        self, pairs: Sequence[tuple[int, int]], lot_ids: Sequence[int] = ()
    ) -> list[QuantRow]:
        """Quants of these (product, location) pairs, any lot, plus every quant of ``lot_ids``."""
        rows: list[Row[Any]] = []
        for chunk in _chunks(list(pairs)):
            rows += list(self.conn.execute(_Writes.quants_by_pair, {"pairs": list(chunk)}))
        if lot_ids:
            rows += list(self.conn.execute(_Writes.quants_by_lot, {"ids": list(lot_ids)}))
        unique = {r.id: r for r in rows}
        return [
            QuantRow(
                r.id, r.product_id, r.location_id, r.lot_id, r.qty, r.kind not in VIRTUAL_KINDS
            )
            for r in unique.values()
        ]

    def save_quants(self, quants: Iterable[QuantRow], seq: int) -> None:
        changed = [q for q in quants if q.dirty]
        updates = [{"b_id": q.id, "b_qty": q.qty, "b_seq": seq} for q in changed if q.id]
        inserts = [
            {
                "product_id": q.product_id,
                "location_id": q.location_id,
                "lot_id": q.lot_id,
                "qty": q.qty,
                "updated_seq": seq,
            }
            for q in changed
            if q.id is None
        ]
        if updates:
            self.conn.execute(_Writes.update_quant, updates)
        if inserts:
            self.conn.execute(_Writes.insert_quant, inserts)

    def insert_moves(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_Writes.insert_move, rows)

    def cap_usage(self, keys: Sequence[str]) -> dict[str, Decimal]:
        """What has been posted under these cap keys (those never used are absent)."""
        found: dict[str, Decimal] = {}
        for chunk in _chunks(list(keys)):
            found.update({r.key: r.used for r in self.conn.execute(_Writes.caps, {"keys": chunk})})
        return found

    def save_caps(self, used: dict[str, Decimal], existing: Iterable[str], seq: int) -> None:
        """Inserting a new key cannot race: every writer holds the ledger head's lock."""
        old = set(existing)
        rows = [{"b_key": k, "b_used": v, "b_seq": seq} for k, v in used.items() if k in old]
        new = [{"key": k, "used": v, "updated_seq": seq} for k, v in used.items() if k not in old]
        if rows:
            self.conn.execute(_Writes.update_cap, rows)
        if new:
            self.conn.execute(_Writes.insert_cap, new)
