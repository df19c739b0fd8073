"""SQL of count sessions, plans and tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    VIRTUAL_KINDS,
    CountEntry,
    CountLine,
    CountLineStatus,
    CountLocation,
    CountLocationStatus,
    CountPlan,
    CountSession,
    CountTask,
    CountTaskStatus,
    LedgerHead,
    Location,
    Lot,
    Product,
    StockMove,
    StockQuant,
    User,
)

# Lines that were counted and stand (not replaced by a recount, not still being counted).
FINAL_LINE = (
    CountLineStatus.ok,
    CountLineStatus.review,
    CountLineStatus.posting,
    CountLineStatus.posted,
    CountLineStatus.failed,
)

# A count sheet's barcode is its number: scanning it resolves to the session.
COUNT_SESSION_DOCUMENT = DocumentKind(
    "count_session",
    "CNT-",
    documents_by_number(CountSession),
)


class CountsRepository(SessionRepository):
    conflict_message = "That count entry or session already exists."

    async def head(self) -> int:
        stmt = select(col(LedgerHead.seq)).where(col(LedgerHead.id) == 1)
        return int((await self.session.execute(stmt)).scalar_one())

    # --- sessions ---
    async def by_number(self, number: str) -> CountSession | None:
        stmt = select(CountSession).where(col(CountSession.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def sessions(
        self, warehouse_ids: Sequence[int] | None, status: str | None, limit: int
    ) -> list[CountSession]:
        stmt = select(CountSession).order_by(col(CountSession.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(CountSession.warehouse_id).in_(warehouse_ids))
        if status is not None:
            stmt = stmt.where(col(CountSession.status) == status)
        return list((await self.session.execute(stmt)).scalars())

    # --- scope ---
    async def scope_locations(
        self,
        warehouse_id: int,
        refs: Sequence[str],
        zone: str | None,
        product_ids: Sequence[int] | None,
    ) -> list[Location]:
        """Active physical locations of the warehouse: by code or barcode, by zone, or
        (given products only) those whose book holds any of the products."""
        stmt = (
            select(Location)
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.active).is_(True),
                col(Location.kind).not_in(list(VIRTUAL_KINDS)),
            )
            .order_by(col(Location.code))
        )
        if refs:
            stmt = stmt.where(or_(col(Location.code).in_(refs), col(Location.barcode).in_(refs)))
        if zone is not None:
            stmt = stmt.where(col(Location.zone) == zone)
        if product_ids is not None and not refs and zone is None:
            held = select(col(StockQuant.location_id)).where(
                col(StockQuant.product_id).in_(product_ids), col(StockQuant.qty) != 0
            )
            stmt = stmt.where(col(Location.id).in_(held))
        return list((await self.session.execute(stmt)).scalars())

    async def products_by_sku(self, skus: Sequence[str]) -> list[Product]:
        stmt = select(Product).where(col(Product.sku).in_(skus))
        return list((await self.session.execute(stmt)).scalars())

    async def products_by_class(self, abc: str) -> list[Product]:
        stmt = select(Product).where(col(Product.abc_class) == abc, col(Product.active).is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def products(self, ids: Sequence[int]) -> dict[int, Product]:
        if not ids:
            return {}
        stmt = select(Product).where(col(Product.id).in_(list(ids)))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars() if p.id}

    async def lot_id(self, product_id: int, number: str) -> int | None:
        stmt = select(col(Lot.id)).where(
            col(Lot.product_id) == product_id, col(Lot.number) == number
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def user_names(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(col(User.id), col(User.username)).where(col(User.id).in_(list(ids)))
        return {i: str(n) for i, n in await self.session.execute(stmt) if i is not None}

    # --- locations of a session ---
    async def count_locations(self, session_id: int) -> list[tuple[CountLocation, Location]]:
        stmt = (
            select(CountLocation, Location)
            .join(Location, col(Location.id) == col(CountLocation.location_id))
            .where(col(CountLocation.session_id) == session_id)
            .order_by(col(Location.code))
        )
        return [(cl, loc) for cl, loc in await self.session.execute(stmt)]

    async def count_location(
        self, session_id: int, ref: str
    ) -> tuple[CountLocation, Location] | None:
        stmt = (
            select(CountLocation, Location)
            .join(Location, col(Location.id) == col(CountLocation.location_id))
            .where(
                col(CountLocation.session_id) == session_id,
                or_(col(Location.code) == ref, col(Location.barcode) == ref),
            )
        )
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def claim(self, count_location_id: int, user_id: int, now: datetime) -> bool:
        """Claim a pending location for one counter; False when another got there first."""
        stmt = (
            update(CountLocation)
            .where(
                col(CountLocation.id) == count_location_id,
                col(CountLocation.status) == CountLocationStatus.pending,
            )
            .values(status=CountLocationStatus.counting, counter_id=user_id, started_at=now)
            .execution_options(synchronize_session=False)
        )
        try:
            result = await self.session.execute(stmt)
        except DBAPIError as exc:
            # PostgreSQL, REPEATABLE READ: a concurrent claim of this row committed first.
            if "serializ" in str(exc.orig).lower():
                return False
            raise
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def book(self, location_id: int, product_ids: Sequence[int] | None) -> list[Row[Any]]:
        """What the book holds at a location: (product_id, lot_id, lot_number, qty)."""
        stmt: Any = (
            select(
                col(StockQuant.product_id),
                col(StockQuant.lot_id),
                col(Lot.number).label("lot_number"),
                col(StockQuant.qty),
            )
            .outerjoin(Lot, col(Lot.id) == col(StockQuant.lot_id))
            .where(col(StockQuant.location_id) == location_id, col(StockQuant.qty) != 0)
        )
        if product_ids is not None:
            stmt = stmt.where(col(StockQuant.product_id).in_(product_ids))
        return list(await self.session.execute(stmt))

    async def moves_at(
        self, location_id: int, after: int, until: int, exclude_reference: str
    ) -> list[Row[Any]]:
        """Moves into or out of a location with ``after < seq <= until``, except a
        document's own postings."""
        stmt: Any = (
            select(
                col(StockMove.seq),
                col(StockMove.product_id),
                col(Lot.number).label("lot_number"),
                col(StockMove.qty),
                col(StockMove.from_location_id),
                col(StockMove.to_location_id),
            )
            .outerjoin(Lot, col(Lot.id) == col(StockMove.lot_id))
            .where(
                col(StockMove.seq) > after,
                col(StockMove.seq) <= until,
                or_(
                    col(StockMove.from_location_id) == location_id,
                    col(StockMove.to_location_id) == location_id,
                ),
                or_(
                    col(StockMove.reference).is_(None),
                    col(StockMove.reference) != exclude_reference,
                ),
            )
            .order_by(col(StockMove.seq))
        )
        return list(await self.session.execute(stmt))

    # --- lines and entries ---
    async def lines(
        self, session_id: int, count_location_id: int | None = None, round_: int | None = None
    ) -> list[CountLine]:
        stmt = select(CountLine).where(col(CountLine.session_id) == session_id)
        if count_location_id is not None:
            stmt = stmt.where(col(CountLine.count_location_id) == count_location_id)
        if round_ is not None:
            stmt = stmt.where(col(CountLine.round) == round_)
        return list((await self.session.execute(stmt.order_by(col(CountLine.id)))).scalars())

    async def entry(self, event_id: str) -> CountEntry | None:
        stmt = select(CountEntry).where(col(CountEntry.event_id) == event_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def line(self, line_id: int) -> CountLine | None:
        return await self.session.get(CountLine, line_id)

    async def discard_round(self, count_location_id: int, round_: int) -> None:
        """Forget an unfinished round's counting (its counter released the location)."""
        lines = select(col(CountLine.id)).where(
            col(CountLine.count_location_id) == count_location_id, col(CountLine.round) == round_
        )
        await self.session.execute(delete(CountEntry).where(col(CountEntry.line_id).in_(lines)))
        await self.session.execute(
            delete(CountLine).where(
                col(CountLine.count_location_id) == count_location_id,
                col(CountLine.round) == round_,
            )
        )

    async def accuracy_lines(
        self,
        warehouse_ids: Sequence[int] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[Row[Any]]:
        """Per closed session: number, closed_at, lines counted, lines without variance."""
        ok = func.sum(case((col(CountLine.variance) == 0, 1), else_=0))
        stmt = (
            select(
                col(CountSession.number),
                col(CountSession.closed_at),
                func.count(col(CountLine.id)).label("lines"),
                ok.label("ok"),
            )
            .join(CountLine, col(CountLine.session_id) == col(CountSession.id))
            .where(
                col(CountSession.closed_at).is_not(None),
                col(CountLine.status).in_([s.value for s in FINAL_LINE]),
            )
            .group_by(col(CountSession.number), col(CountSession.closed_at))
            .order_by(col(CountSession.closed_at))
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(CountSession.warehouse_id).in_(warehouse_ids))
        if since is not None:
            stmt = stmt.where(col(CountSession.closed_at) >= since)
        if until is not None:
            stmt = stmt.where(col(CountSession.closed_at) < until)
        return list(await self.session.execute(stmt))

    # --- plans and tasks ---
    async def plan(self, warehouse_id: int) -> list[CountPlan]:
        stmt = select(CountPlan).where(col(CountPlan.warehouse_id) == warehouse_id)
        return list((await self.session.execute(stmt)).scalars())

    async def stocked_products(self, warehouse_id: int, classes: Sequence[str]) -> list[Product]:
        """Active products of these classes that the warehouse's shelves hold."""
        held = (
            select(col(StockQuant.product_id))
            .join(Location, col(Location.id) == col(StockQuant.location_id))
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.kind).not_in(list(VIRTUAL_KINDS)),
                col(StockQuant.qty) != 0,
            )
        )
        stmt = (
            select(Product)
            .where(
                col(Product.abc_class).in_(list(classes)),
                col(Product.active).is_(True),
                col(Product.id).in_(held),
            )
            .order_by(col(Product.sku))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def last_counted(self, warehouse_id: int) -> dict[int, datetime]:
        """When each product was last counted in the warehouse (any counted line)."""
        stmt = (
            select(col(CountLine.product_id), func.max(col(CountLine.counted_at)))
            .join(CountSession, col(CountSession.id) == col(CountLine.session_id))
            .where(
                col(CountSession.warehouse_id) == warehouse_id,
                col(CountLine.counted_at).is_not(None),
                col(CountLine.status) != CountLineStatus.counting,
            )
            .group_by(col(CountLine.product_id))
        )
        return {pid: at for pid, at in await self.session.execute(stmt) if at is not None}

    async def tasks(
        self, warehouse_ids: Sequence[int] | None, status: str | None, session_id: int | None = None
    ) -> list[tuple[CountTask, str]]:
        stmt = (
            select(CountTask, col(Product.sku))
            .join(Product, col(Product.id) == col(CountTask.product_id))
            .order_by(col(CountTask.due_date), col(Product.sku))
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(CountTask.warehouse_id).in_(warehouse_ids))
        if status is not None:
            stmt = stmt.where(col(CountTask.status) == status)
        if session_id is not None:
            stmt = stmt.where(col(CountTask.session_id) == session_id)
        return [(t, sku) for t, sku in await self.session.execute(stmt)]

    async def open_task_keys(self, warehouse_id: int) -> set[int]:
        stmt = select(col(CountTask.product_id)).where(
            and_(
                col(CountTask.warehouse_id) == warehouse_id,
                col(CountTask.status) == CountTaskStatus.open,
            )
        )
        return set((await self.session.execute(stmt)).scalars())

    async def session_numbers(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        stmt = select(col(CountSession.id), col(CountSession.number)).where(
            col(CountSession.id).in_(list(ids))
        )
        return {i: str(n) for i, n in await self.session.execute(stmt) if i is not None and n}
