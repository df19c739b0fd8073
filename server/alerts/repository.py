"""SQL of alerts: the stock figures conditions are judged on, and raising/clearing states
so that two evaluators (two processes) never raise one condition twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from server.kit.quantity import ZERO
from server.models import (
    VIRTUAL_KINDS,
    Alert,
    Location,
    Lot,
    PickLine,
    PickList,
    Product,
    Reservation,
    StockQuant,
    Warehouse,
)
from server.sales.repository import open_reservations, sellable_on_hand, unrecorded_picks

Pair = tuple[int, int]  # warehouse, product


class AlertsRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    async def pair_ids(self, codes: Iterable[tuple[str, str]]) -> set[Pair]:
        """(warehouse code, sku) -> (warehouse id, product id)."""
        codes = set(codes)
        if not codes:
            return set()
        whs = await self.session.execute(
            select(col(Warehouse.code), col(Warehouse.id)).where(
                col(Warehouse.code).in_({w for w, _ in codes})
            )
        )
        skus = await self.session.execute(
            select(col(Product.sku), col(Product.id)).where(
                col(Product.sku).in_({s for _, s in codes})
            )
        )
        wh, pr = dict(whs.all()), dict(skus.all())
        return {(wh[w], pr[s]) for w, s in codes if w in wh and s in pr}

    async def stocked_pairs(self) -> set[Pair]:
        stmt = (
            select(col(Location.warehouse_id), col(StockQuant.product_id))
            .join(Location, col(Location.id) == col(StockQuant.location_id))
            .where(col(StockQuant.qty) != 0, col(Location.kind).not_in(list(VIRTUAL_KINDS)))
            .distinct()
        )
        return {(w, p) for w, p in await self.session.execute(stmt)}

    async def reserved_pairs(self) -> set[Pair]:
        stmt = select(col(Reservation.warehouse_id), col(Reservation.product_id)).where(
            col(Reservation.qty) > 0
        )
        return {(w, p) for w, p in await self.session.execute(stmt.distinct())}

    async def available(self, pairs: Sequence[Pair], today: date) -> dict[Pair, Decimal]:
        """Available to promise per pair: sellable on hand - open reservations (the figure
        ``GET /api/availability`` shows)."""
        out: dict[Pair, Decimal] = {}
        on_hand = sellable_on_hand(None, today).where(
            tuple_(col(Location.warehouse_id), col(StockQuant.product_id)).in_(list(pairs))
        )
        for r in await self.session.execute(on_hand):
            out[(r.warehouse_id, r.product_id)] = r.qty
        reserved = open_reservations(None).where(
            tuple_(col(Reservation.warehouse_id), col(Reservation.product_id)).in_(list(pairs))
        )
        for r in await self.session.execute(reserved):
            key = (r.warehouse_id, r.product_id)
            out[key] = out.get(key, ZERO) - r.qty
        picks = unrecorded_picks(None).where(
            tuple_(col(PickList.warehouse_id), col(PickLine.product_id)).in_(list(pairs))
        )
        for r in await self.session.execute(picks):
            key = (r.warehouse_id, r.product_id)
            out[key] = out.get(key, ZERO) + (r.used - r.recorded)
        return out

    async def open_pairs(self, kinds: Sequence[str]) -> set[Pair]:
        stmt = select(col(Alert.warehouse_id), col(Alert.product_id)).where(
            col(Alert.open_key).is_not(None),
            col(Alert.kind).in_(list(kinds)),
            col(Alert.product_id).is_not(None),
        )
        return {(w, p) for w, p in await self.session.execute(stmt) if w and p}

    async def holdings(self, pairs: Sequence[Pair]) -> list[Row[Any]]:
        """Physical stock per (warehouse, product, lot) for these pairs, with lot expiry."""
        stmt: Any = (
            select(
                col(Location.warehouse_id),
                col(StockQuant.product_id),
                col(StockQuant.lot_id),
                col(Lot.number).label("lot"),
                col(Lot.expiry),
                func.sum(col(StockQuant.qty)).label("qty"),
            )
            .join(Location, col(Location.id) == col(StockQuant.location_id))
            .outerjoin(Lot, col(Lot.id) == col(StockQuant.lot_id))
            .where(
                col(Location.kind).not_in(list(VIRTUAL_KINDS)),
                tuple_(col(Location.warehouse_id), col(StockQuant.product_id)).in_(list(pairs)),
            )
            .group_by(
                col(Location.warehouse_id),
                col(StockQuant.product_id),
                col(StockQuant.lot_id),
                col(Lot.number),
                col(Lot.expiry),
            )
        )
        return list(await self.session.execute(stmt))

    async def products(self, ids: Sequence[int]) -> dict[int, Product]:
        stmt = select(Product).where(col(Product.id).in_(list(ids)))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars() if p.id}

    async def warehouse_codes(self) -> dict[int, str]:
        rows = await self.session.execute(select(col(Warehouse.id), col(Warehouse.code)))
        return {i: c for i, c in rows if i is not None}

    async def open_for(self, pairs: Sequence[Pair], kinds: Sequence[str]) -> list[Alert]:
        stmt = select(Alert).where(
            col(Alert.open_key).is_not(None),
            col(Alert.kind).in_(list(kinds)),
            tuple_(col(Alert.warehouse_id), col(Alert.product_id)).in_(list(pairs)),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def raise_(self, values: dict[str, Any]) -> int | None:
        """Insert an open alert; None when that condition is already open (raised once)."""
        dialect = self.session.bind.dialect.name
        table = Alert.__table__  # type: ignore[attr-defined]
        ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        stmt = (
            ins.values(**values)
            .on_conflict_do_nothing(index_elements=["open_key"])
            .returning(table.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()  # type: ignore[no-any-return]

    async def clear(self, alert_id: int, now: datetime) -> bool:
        """Close an open alert; False when another evaluator closed it first."""
        stmt = (
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.open_key).is_not(None))
            .values(open_key=None, cleared_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool((await self.session.execute(stmt)).rowcount)

    async def get(self, alert_id: int) -> Alert | None:
        return await self.session.get(Alert, alert_id, populate_existing=True)  # type: ignore[no-any-return]

    async def listing(
        self,
        warehouse_ids: Sequence[int] | None,
        kind: str | None,
        include_cleared: bool,
        limit: int,
    ) -> list[Alert]:
        stmt = select(Alert).order_by(col(Alert.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(Alert.warehouse_id).in_(warehouse_ids))
        if kind is not None:
            stmt = stmt.where(col(Alert.kind) == kind)
        if not include_cleared:
            stmt = stmt.where(col(Alert.open_key).is_not(None))
        return list((await self.session.execute(stmt)).scalars())

    async def names(self, alerts: Sequence[Alert]) -> tuple[dict[int, str], dict[int, str]]:
        """SKUs and lot numbers the alerts refer to."""
        pids = {a.product_id for a in alerts if a.product_id}
        lids = {a.lot_id for a in alerts if a.lot_id}
        skus = await self.session.execute(
            select(col(Product.id), col(Product.sku)).where(col(Product.id).in_(pids))
        )
        lots = await self.session.execute(
            select(col(Lot.id), col(Lot.number)).where(col(Lot.id).in_(lids))
        )
        return {i: s for i, s in skus if i}, {i: n for i, n in lots if i}
