"""Cycle counts (盘点): sessions, claims, counting scans, variances, recounts, approvals,
accuracy; and the ABC plan that says what is due.

**Counting while stock moves.** When a counter starts a location, the session snapshots
the book there (every product and lot, ``book_qty``) together with the ledger head
(``snapshot_seq``), in one consistent read. Each counting scan records the ledger head at
that moment as its line's ``counted_seq``. When the location is finished, a line's
expected quantity is

    expected = book_qty + net moves of that (location, product, lot)
               with snapshot_seq < seq <= counted_seq, except the session's own postings

that is, the book *at the moment the counter last counted that product*. A pick before the
counter reached the product is not on the shelf and not in the expected quantity; a pick
after it was counted was on the shelf and is in it: neither is a variance. A line from the
snapshot that was never scanned was counted as 0 when the location was finished. A move of
a product *between* two scans of that same product cannot be placed (was that unit already
counted?); such lines are flagged ``moved_during_count`` so a reviewer knows.

Lines whose variance is beyond the session's threshold (quantity, or value at unit cost)
put their location in review: nothing of it posts until a supervisor approves it or orders
a recount (a new round: a new claim, a new snapshot). The rest post at close, as ``count``
moves between the location and the warehouse's inventory-loss location through the ledger
writer, referenced by the session number, and applied to the book as it is *then*.

Services here never commit: ``CountService`` runs in the caller's transaction;
``CountPostings`` owns the units of work of closing and approving, because it must commit
the decision before the ledger writer can post it (a SQLite write transaction held across
the writer's would deadlock) and record the outcome after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from server import errors
from server.auth.principal import CATALOG_ROLES, SCAN_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.codes.repository import CodesRepository
from server.codes.resolver import resolve
from server.counts.repository import FINAL_LINE, CountsRepository
from server.counts.schemas import (
    Accuracy,
    AccuracyReport,
    CountCreate,
    CountLinePublic,
    CountLocationPublic,
    CountPlanIn,
    CountPlanPublic,
    CountPublic,
    CountScanIn,
    CountScanResult,
    CountSummary,
    CountTaskPublic,
    PeriodAccuracy,
    SessionAccuracy,
)
from server.db import Database
from server.kit.quantity import ZERO, has_valid_places
from server.ledger.posting import document_event_id
from server.ledger.service import PendingScan, Route
from server.ledger.writer import ScanWriter
from server.models import (
    CountEntry,
    CountLine,
    CountLineStatus,
    CountLocation,
    CountLocationStatus,
    CountPlan,
    CountSession,
    CountStatus,
    CountTask,
    CountTaskStatus,
    Location,
    MoveKind,
    Product,
    Tracking,
    Warehouse,
)
from server.scans.schemas import ScanIn, ScanResult
from server.settings import Settings

COUNT_ROLES = SCAN_ROLES[MoveKind.count]
DEFAULT_INTERVALS = {"A": 30, "B": 90, "C": 365}  # days: monthly, quarterly, yearly
COUNT_REASON = "count variance"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:  # SQLite hands back naive UTC
        return dt.replace(tzinfo=UTC)
    return dt


@dataclass(slots=True)
class _Ctx:
    session: CountSession
    warehouse: Warehouse


class CountService:
    def __init__(self, repo: CountsRepository, who: Principal, settings: Settings) -> None:
        self.repo = repo
        self.catalog = CatalogRepository(repo.session)
        self.who = who
        self.settings = settings

    # --- access ---
    def _sees_book(self, s: CountSession) -> bool:
        return not s.blind or self.who.role in CATALOG_ROLES

    async def _warehouse(self, code: str) -> Warehouse:
        wh = await self.catalog.warehouse(code)
        if wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No warehouse {code}.")
        return wh

    async def _ctx(self, number: str) -> _Ctx:
        s = await self.repo.by_number(number)
        wh = await self.catalog.warehouse_by_id(s.warehouse_id) if s else None
        if s is None or wh is None or not self.who.can_access(s.warehouse_id):
            raise errors.NotFound(f"No count session {number}.")
        return _Ctx(s, wh)

    def _user_id(self) -> int:
        if self.who.user_id is None:
            raise errors.Forbidden("Counting is done by signed-in users, not devices.")
        return self.who.user_id

    @staticmethod
    def _open(s: CountSession) -> None:
        if s.status != CountStatus.open:
            raise errors.InvalidState(f"Count {s.number} is {s.status}: counting is over.")

    # --- sessions ---
    async def create(self, data: CountCreate) -> CountPublic:
        self.who.check_role(CATALOG_ROLES, "start count sessions")
        wh = await self._warehouse(data.warehouse)
        assert wh.id is not None
        if data.locations and data.zone:
            raise errors.Invalid("Count either listed locations or a zone, not both.")
        product_ids, scope = await self._products_in_scope(data, wh.id)
        locations = await self.repo.scope_locations(wh.id, data.locations, data.zone, product_ids)
        if data.locations:
            found = {loc.code for loc in locations} | {loc.barcode for loc in locations}
            missing = [ref for ref in data.locations if ref not in found]
            if missing:
                raise errors.UnknownLocation(
                    f"No active shelf location {', '.join(missing[:5])} in {wh.code}.",
                    field="locations",
                )
            scope.insert(0, "locations " + ", ".join(sorted(loc.code for loc in locations)))
        elif data.zone:
            scope.insert(0, f"zone {data.zone}")
        if not locations:
            raise errors.Invalid("Nothing to count: no location matches.")
        session = CountSession(
            warehouse_id=wh.id,
            blind=data.blind,
            scope="; ".join(scope) or "every location",
            product_ids=",".join(str(p) for p in sorted(product_ids or [])),
            threshold_qty=(
                data.threshold_qty
                if data.threshold_qty is not None
                else self.settings.count_variance_qty
            ),
            threshold_value=(
                data.threshold_value
                if data.threshold_value is not None
                else self.settings.count_variance_value
            ),
            created_by=self.who.user_id,
        )
        await self.repo.add(session)
        assert session.id is not None
        session.number = f"CNT-{session.id:06d}"
        await self.repo.add(session)
        for loc in locations:
            assert loc.id is not None
            await self.repo.add(CountLocation(session_id=session.id, location_id=loc.id))
        if data.tasks:
            for task, _ in await self.repo.tasks([wh.id], CountTaskStatus.open):
                if task.session_id is None:
                    task.session_id = session.id
                    await self.repo.add(task)
        return await self.public(session, wh)

    async def _products_in_scope(
        self, data: CountCreate, warehouse_id: int
    ) -> tuple[list[int] | None, list[str]]:
        ids: set[int] | None = None
        scope: list[str] = []

        def narrow(found: set[int]) -> None:
            nonlocal ids
            ids = found if ids is None else ids & found

        if data.products:
            products = await self.repo.products_by_sku(data.products)
            missing = set(data.products) - {p.sku for p in products}
            if missing:
                raise errors.NotFound(f"No product {', '.join(sorted(missing)[:5])}.")
            narrow({p.id for p in products if p.id})
            scope.append("products " + ", ".join(sorted(data.products)))
        if data.abc_class is not None:
            narrow({p.id for p in await self.repo.products_by_class(data.abc_class) if p.id})
            scope.append(f"class {data.abc_class}")
        if data.tasks:
            tasks = await self.repo.tasks([warehouse_id], CountTaskStatus.open)
            narrow({t.product_id for t, _ in tasks if t.session_id is None})
            scope.append("due count tasks")
        if ids is not None and not ids:
            raise errors.Invalid("Nothing to count: no product matches.")
        return (sorted(ids) if ids is not None else None), scope

    async def sessions(self, warehouse: str | None, status: str | None) -> list[CountSummary]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self._warehouse(warehouse)
            assert wh.id is not None
            ids = [wh.id]
        sessions = await self.repo.sessions(ids, status, 500)
        codes = {w.id: w.code for w in await self.catalog.warehouses(None)}
        return [
            CountSummary(
                number=s.number or "",
                warehouse=codes.get(s.warehouse_id, ""),
                status=s.status,
                blind=s.blind,
                scope=s.scope,
                created_at=s.created_at,
                closed_at=s.closed_at,
            )
            for s in sessions
        ]

    async def get(self, number: str) -> CountPublic:
        ctx = await self._ctx(number)
        return await self.public(ctx.session, ctx.warehouse)

    async def public(self, s: CountSession, wh: Warehouse) -> CountPublic:
        assert s.id is not None
        sees = self._sees_book(s)
        places = await self.repo.count_locations(s.id)
        lines = await self.repo.lines(s.id)
        products = await self.repo.products(sorted({ln.product_id for ln in lines}))
        counters = await self.repo.user_names(
            sorted({cl.counter_id for cl, _ in places if cl.counter_id})
        )
        by_place: dict[int, list[CountLine]] = defaultdict(list)
        for ln in lines:
            by_place[ln.count_location_id].append(ln)
        current = [ln for cl, _ in places for ln in by_place[cl.id or 0] if ln.round == cl.round]
        return CountPublic(
            number=s.number or "",
            warehouse=wh.code,
            status=s.status,
            blind=s.blind,
            scope=s.scope,
            threshold_qty=s.threshold_qty if sees else None,
            threshold_value=s.threshold_value if sees else None,
            created_at=s.created_at,
            closed_at=s.closed_at,
            done_at=s.done_at,
            accuracy=_accuracy(current) if sees else None,
            locations=[
                CountLocationPublic(
                    location=loc.code,
                    status=cl.status,
                    round=cl.round,
                    counter=counters.get(cl.counter_id) if cl.counter_id else None,
                    started_at=cl.started_at,
                    finished_at=cl.finished_at,
                    lines=[
                        _line_public(ln, products[ln.product_id], sees)
                        for ln in by_place[cl.id or 0]
                        if ln.round == cl.round
                    ],
                )
                for cl, loc in places
            ],
        )

    # --- counting a location ---
    async def _place(self, ctx: _Ctx, ref: str) -> tuple[CountLocation, Location]:
        assert ctx.session.id is not None
        found = await self.repo.count_location(ctx.session.id, ref)
        if found is None:
            raise errors.NotInCount(f"Location {ref} is not part of count {ctx.session.number}.")
        return found

    def _check_claim(self, cl: CountLocation, loc: Location, *, supervisor_ok: bool) -> None:
        if cl.status == CountLocationStatus.pending:
            raise errors.InvalidState(f"Start counting {loc.code} first (claim it).")
        if cl.status != CountLocationStatus.counting:
            raise errors.InvalidState(f"{loc.code} is {cl.status}, not being counted.")
        mine = cl.counter_id == self.who.user_id
        if not mine and not (supervisor_ok and self.who.role in CATALOG_ROLES):
            raise errors.LocationClaimed(f"Another counter is counting {loc.code}.")

    async def start(self, number: str, ref: str) -> CountLocationPublic:
        """Claim a location for the caller and snapshot its book (see the module's rule).

        Runs in a snapshot transaction, so the ledger head and the quants are one point in
        time; a concurrent claim of the same location loses with ``location_claimed``."""
        self.who.check_role(COUNT_ROLES, "count")
        user_id = self._user_id()
        ctx = await self._ctx(number)
        self._open(ctx.session)
        cl, loc = await self._place(ctx, ref)
        if cl.status == CountLocationStatus.counting and cl.counter_id == user_id:
            return await self._location_public(ctx, cl, loc)  # started already: idempotent
        if cl.status == CountLocationStatus.counting:
            raise errors.LocationClaimed(f"Another counter is counting {loc.code}.")
        if cl.status != CountLocationStatus.pending:
            raise errors.InvalidState(f"{loc.code} is {cl.status} in this count.")
        head = await self.repo.head()
        assert cl.id is not None and loc.id is not None and ctx.session.id is not None
        if not await self.repo.claim(cl.id, user_id, _now()):
            raise errors.LocationClaimed(f"Another counter has just claimed {loc.code}.")
        cl.status, cl.counter_id, cl.snapshot_seq = CountLocationStatus.counting, user_id, head
        cl.started_at = _now()
        await self.repo.add(cl)
        wanted = _product_filter(ctx.session)
        for row in await self.repo.book(loc.id, sorted(wanted) if wanted is not None else None):
            await self.repo.add(
                CountLine(
                    session_id=ctx.session.id,
                    count_location_id=cl.id,
                    round=cl.round,
                    product_id=row.product_id,
                    lot_id=row.lot_id,
                    lot_number=row.lot_number,
                    book_qty=row.qty,
                )
            )
        return await self._location_public(ctx, cl, loc)

    async def _location_public(
        self, ctx: _Ctx, cl: CountLocation, loc: Location
    ) -> CountLocationPublic:
        assert ctx.session.id is not None and cl.id is not None
        lines = await self.repo.lines(ctx.session.id, cl.id, cl.round)
        products = await self.repo.products(sorted({ln.product_id for ln in lines}))
        names = await self.repo.user_names([cl.counter_id] if cl.counter_id else [])
        sees = self._sees_book(ctx.session)
        return CountLocationPublic(
            location=loc.code,
            status=cl.status,
            round=cl.round,
            counter=names.get(cl.counter_id) if cl.counter_id else None,
            started_at=cl.started_at,
            finished_at=cl.finished_at,
            lines=[_line_public(ln, products[ln.product_id], sees) for ln in lines],
        )

    async def scan(self, number: str, data: CountScanIn) -> CountScanResult:
        self.who.check_role(COUNT_ROLES, "count")
        ctx = await self._ctx(number)
        event_id = str(data.event_id)
        if (done := await self.repo.entry(event_id)) is not None:
            return await self._replay(ctx, done, event_id)
        self._open(ctx.session)
        cl, loc = await self._place(ctx, data.location)
        self._check_claim(cl, loc, supervisor_ok=False)
        assert cl.id is not None and ctx.session.id is not None
        product, lot, qty, serial = await self._item(ctx, cl, data)
        lines = await self.repo.lines(ctx.session.id, cl.id, cl.round)
        line = next(
            (ln for ln in lines if ln.product_id == product.id and ln.lot_number == lot), None
        )
        if line is None:
            assert product.id is not None
            line = CountLine(
                session_id=ctx.session.id,
                count_location_id=cl.id,
                round=cl.round,
                product_id=product.id,
                lot_id=await self.repo.lot_id(product.id, lot) if lot else None,
                lot_number=lot,
            )
        head = await self.repo.head()
        if data.replace:
            line.counted_qty = qty
        elif serial:
            line.counted_qty = Decimal(1)  # a serial number is there or not: never twice
        else:
            line.counted_qty += qty
        line.scanned = True
        line.first_seq = line.first_seq if line.first_seq is not None else head
        line.counted_seq, line.counted_at = head, _now()
        await self.repo.add(line)
        assert line.id is not None
        await self.repo.add(
            CountEntry(
                event_id=event_id,
                line_id=line.id,
                qty=qty,
                replace=data.replace,
                user_id=self.who.user_id,
                seq=head,
            )
        )
        return CountScanResult(
            event_id=event_id,
            status="counted",
            location=loc.code,
            sku=product.sku,
            lot=lot,
            counted=line.counted_qty,
            book=line.book_qty if self._sees_book(ctx.session) else None,
        )

    async def _replay(self, ctx: _Ctx, entry: CountEntry, event_id: str) -> CountScanResult:
        line = await self.repo.line(entry.line_id)
        assert line is not None
        cl = await self.repo.session.get(CountLocation, line.count_location_id)
        loc = await self.catalog.session.get(Location, cl.location_id) if cl else None
        product = (await self.repo.products([line.product_id]))[line.product_id]
        if line.session_id != ctx.session.id or loc is None:
            raise errors.AlreadyExists("That event_id was used by another count.")
        return CountScanResult(
            event_id=event_id,
            status="duplicate",
            location=loc.code,
            sku=product.sku,
            lot=line.lot_number,
            counted=line.counted_qty,
            book=line.book_qty if self._sees_book(ctx.session) else None,
        )

    async def _item(
        self, ctx: _Ctx, cl: CountLocation, data: CountScanIn
    ) -> tuple[Product, str | None, Decimal, bool]:
        """The product, lot and quantity a counting scan means."""
        index = await CodesRepository(self.repo.session).index([data.code])
        code = resolve(data.code, index)
        if code.product is None:
            raise code.not_a_product()
        product = await self.repo.session.get(Product, code.product.id)
        assert product is not None and product.id is not None
        wanted = _product_filter(ctx.session)
        if wanted is not None and product.id not in wanted:
            raise errors.NotInCount(f"{product.sku} is not counted in {ctx.session.number}.")
        qty = data.qty if data.qty is not None else (code.quantity or Decimal(1))
        if not qty.is_finite() or not has_valid_places(qty) or qty < 0:
            raise errors.InvalidQuantity(
                "A counted quantity is 0 or more, with at most 3 decimals."
            )
        if qty > self.settings.max_scan_qty:
            raise errors.InvalidQuantity(f"{qty} is more than one scan may count.")
        if qty == 0 and not data.replace:
            raise errors.InvalidQuantity("Adding 0 counts nothing; use replace to set 0.")
        tracking = Tracking(product.tracking)
        if tracking == Tracking.none:
            return product, None, qty, False
        if tracking == Tracking.serial:
            lot = data.lot or code.serial or code.lot
            if qty > 1:
                raise errors.InvalidQuantity("A serial number is counted as 0 or 1.")
            if lot is None:
                raise errors.LotRequired(f"{product.sku} is serial-tracked: scan its serial.")
            return product, lot, qty, True
        lot = data.lot or code.lot
        if lot is None:
            assert ctx.session.id is not None and cl.id is not None
            lines = await self.repo.lines(ctx.session.id, cl.id, cl.round)
            held = {ln.lot_number for ln in lines if ln.product_id == product.id and ln.lot_number}
            if len(held) != 1:
                raise errors.LotRequired(f"{product.sku} is lot-tracked: scan its lot.")
            lot = held.pop()
        return product, lot, qty, False

    async def finish(self, number: str, ref: str) -> CountLocationPublic:
        """The counter is done with a location: compute each line's expected quantity."""
        self.who.check_role(COUNT_ROLES, "count")
        ctx = await self._ctx(number)
        self._open(ctx.session)
        cl, loc = await self._place(ctx, ref)
        self._check_claim(cl, loc, supervisor_ok=True)
        assert ctx.session.id is not None and cl.id is not None and loc.id is not None
        head = await self.repo.head()
        now = _now()
        lines = await self.repo.lines(ctx.session.id, cl.id, cl.round)
        products = await self.repo.products(sorted({ln.product_id for ln in lines}))
        moves = await self.repo.moves_at(
            loc.id, cl.snapshot_seq or 0, head, ctx.session.number or ""
        )
        for ln in lines:
            if ln.counted_seq is None:  # in the book, never scanned: counted 0, now
                ln.counted_seq, ln.counted_at = head, now
            net, moved = ZERO, False
            for m in moves:
                if m.product_id != ln.product_id or m.lot_number != ln.lot_number:
                    continue
                if m.seq <= ln.counted_seq:
                    net += m.qty if m.to_location_id == loc.id else -m.qty
                    if ln.first_seq is not None and m.seq > ln.first_seq:
                        moved = True
            ln.expected_qty = ln.book_qty + net
            ln.variance = ln.counted_qty - ln.expected_qty
            ln.variance_value = (ln.variance * products[ln.product_id].unit_cost).quantize(
                Decimal("0.001")
            )
            ln.moved_during_count = moved
            ln.status = CountLineStatus.counted
            await self.repo.add(ln)
        cl.status, cl.finished_seq, cl.finished_at = CountLocationStatus.counted, head, now
        await self.repo.add(cl)
        return await self._location_public(ctx, cl, loc)

    async def release(self, number: str, ref: str) -> CountLocationPublic:
        """Give a location back unfinished: its counting so far is discarded."""
        self.who.check_role(COUNT_ROLES, "count")
        ctx = await self._ctx(number)
        self._open(ctx.session)
        cl, loc = await self._place(ctx, ref)
        self._check_claim(cl, loc, supervisor_ok=True)
        assert cl.id is not None
        await self.repo.discard_round(cl.id, cl.round)
        cl.status, cl.counter_id, cl.snapshot_seq, cl.started_at = (
            CountLocationStatus.pending,
            None,
            None,
            None,
        )
        await self.repo.add(cl)
        return await self._location_public(ctx, cl, loc)

    # --- deciding ---
    async def close(self, number: str, skip_uncounted: bool) -> None:
        """Evaluate every counted location: within the threshold, its variances are queued
        for posting; beyond it, the location waits in review."""
        self.who.check_role(CATALOG_ROLES, "close counts")
        ctx = await self._ctx(number)
        s = ctx.session
        self._open(s)
        assert s.id is not None
        places = await self.repo.count_locations(s.id)
        busy = [loc.code for cl, loc in places if cl.status == CountLocationStatus.counting]
        if busy:
            raise errors.InvalidState(f"Still being counted: {', '.join(busy[:10])}.")
        pending = [loc.code for cl, loc in places if cl.status == CountLocationStatus.pending]
        if pending and not skip_uncounted:
            raise errors.InvalidState(
                f"Not counted yet: {', '.join(pending[:10])}; count them or close with "
                "skip_uncounted."
            )
        lines = await self.repo.lines(s.id)
        for cl, _ in places:
            if cl.status == CountLocationStatus.pending:
                cl.status = CountLocationStatus.skipped
                await self.repo.add(cl)
            if cl.status != CountLocationStatus.counted:
                continue
            mine = [ln for ln in lines if ln.count_location_id == cl.id and ln.round == cl.round]
            beyond = any(self._beyond(s, ln) for ln in mine)
            for ln in mine:
                if not ln.variance:
                    ln.status = CountLineStatus.ok
                elif beyond:
                    ln.status = CountLineStatus.review
                else:
                    self._queue(s, ln)
                await self.repo.add(ln)
            cl.status = CountLocationStatus.review if beyond else CountLocationStatus.done
            await self.repo.add(cl)
        s.status = CountStatus.review
        s.closed_at = _now()
        await self.repo.add(s)
        for task, _ in await self.repo.tasks(None, CountTaskStatus.open, s.id):
            task.status, task.open_key, task.done_at = CountTaskStatus.done, None, _now()
            await self.repo.add(task)

    @staticmethod
    def _beyond(s: CountSession, ln: CountLine) -> bool:
        return abs(ln.variance or ZERO) > s.threshold_qty or (
            abs(ln.variance_value or ZERO) > s.threshold_value
        )

    def _queue(self, s: CountSession, ln: CountLine) -> None:
        ln.status = CountLineStatus.posting
        ln.event_id = ln.event_id or document_event_id(s.number, "line", ln.id)
        ln.error = None

    async def _review_places(
        self, s: CountSession, refs: Sequence[str]
    ) -> list[tuple[CountLocation, Location]]:
        assert s.id is not None
        places = [
            (cl, loc)
            for cl, loc in await self.repo.count_locations(s.id)
            if cl.status == CountLocationStatus.review
        ]
        if refs:
            wanted = set(refs)
            chosen = [(cl, loc) for cl, loc in places if {loc.code, loc.barcode} & wanted]
            known = {loc.code for _, loc in chosen} | {loc.barcode for _, loc in chosen}
            if missing := [r for r in refs if r not in known]:
                raise errors.InvalidState(f"Not waiting for review: {', '.join(missing[:10])}.")
            places = chosen
        if not places:
            raise errors.InvalidState(f"Count {s.number} has no location waiting for review.")
        return places

    async def recount(self, number: str, refs: Sequence[str]) -> CountPublic:
        """Send locations in review back to be counted again (a new round)."""
        self.who.check_role(CATALOG_ROLES, "order recounts")
        ctx = await self._ctx(number)
        s = ctx.session
        if s.status != CountStatus.review:
            raise errors.InvalidState(f"Count {number} is {s.status}; nothing to recount.")
        assert s.id is not None
        lines = await self.repo.lines(s.id)
        for cl, _ in await self._review_places(s, refs):
            for ln in lines:
                same = ln.count_location_id == cl.id and ln.round == cl.round
                if same and ln.status != CountLineStatus.posted:
                    ln.status = CountLineStatus.superseded
                    await self.repo.add(ln)
            cl.status, cl.round, cl.counter_id = CountLocationStatus.pending, cl.round + 1, None
            cl.snapshot_seq = cl.started_at = cl.finished_seq = cl.finished_at = None
            await self.repo.add(cl)
        s.status, s.closed_at = CountStatus.open, None
        await self.repo.add(s)
        return await self.public(s, ctx.warehouse)

    async def approve(self, number: str, refs: Sequence[str]) -> None:
        """Accept the variances of locations in review: queue them for posting."""
        self.who.check_role(CATALOG_ROLES, "approve count variances")
        ctx = await self._ctx(number)
        s = ctx.session
        if s.status != CountStatus.review:
            raise errors.InvalidState(f"Count {number} is {s.status}; nothing to approve.")
        assert s.id is not None
        lines = await self.repo.lines(s.id)
        for cl, _ in await self._review_places(s, refs):
            for ln in lines:
                if ln.count_location_id != cl.id or ln.round != cl.round:
                    continue
                if ln.status in (CountLineStatus.review, CountLineStatus.failed):
                    self._queue(s, ln)
                    ln.approved_by = self.who.user_id
                    await self.repo.add(ln)
            cl.status = CountLocationStatus.done
            await self.repo.add(cl)

    async def postings(self, number: str) -> list[PendingScan]:
        """The corrections queued for the ledger (again, after a crash: same event ids)."""
        ctx = await self._ctx(number)
        s = ctx.session
        assert s.id is not None
        places = {cl.id: loc for cl, loc in await self.repo.count_locations(s.id)}
        lines = [ln for ln in await self.repo.lines(s.id) if ln.status == CountLineStatus.posting]
        products = await self.repo.products(sorted({ln.product_id for ln in lines}))
        return [
            PendingScan(
                ScanIn(
                    event_id=UUID(ln.event_id or ""),
                    type=MoveKind.count,
                    code=products[ln.product_id].sku,
                    qty=ln.variance,
                    location=places[ln.count_location_id].code,
                    lot=ln.lot_number,
                    reference=s.number,
                    reason=COUNT_REASON,
                ),
                self.who,
                route=Route.count_delta,
                authorized=True,
            )
            for ln in lines
        ]

    async def record(self, number: str, results: Sequence[ScanResult]) -> CountPublic:
        """What the ledger did with the queued corrections; settle the session's status."""
        ctx = await self._ctx(number)
        s = ctx.session
        assert s.id is not None
        by_event = {r.event_id: r for r in results}
        places = {cl.id: cl for cl, _ in await self.repo.count_locations(s.id)}
        for ln in await self.repo.lines(s.id):
            result = by_event.get(ln.event_id) if ln.status == CountLineStatus.posting else None
            if result is None:
                continue
            if result.status in ("applied", "duplicate"):
                ln.status, ln.seq, ln.error = CountLineStatus.posted, result.seq, None
            else:
                ln.status = CountLineStatus.failed
                ln.error = result.error.message[:500] if result.error else "rejected"
                cl = places[ln.count_location_id]
                cl.status = CountLocationStatus.review
                await self.repo.add(cl)
            await self.repo.add(ln)
        waiting = {
            CountLocationStatus.review,
            CountLocationStatus.pending,
            CountLocationStatus.counting,
        }
        if s.status == CountStatus.review and not any(
            cl.status in waiting for cl in places.values()
        ):
            s.status, s.done_at = CountStatus.done, _now()
        await self.repo.add(s)
        return await self.public(s, ctx.warehouse)

    async def cancel(self, number: str) -> CountPublic:
        self.who.check_role(CATALOG_ROLES, "cancel counts")
        ctx = await self._ctx(number)
        if ctx.session.status != CountStatus.open:
            raise errors.InvalidState(f"Count {number} is {ctx.session.status}.")
        ctx.session.status = CountStatus.cancelled
        await self.repo.add(ctx.session)
        assert ctx.session.id is not None
        for task, _ in await self.repo.tasks(None, CountTaskStatus.open, ctx.session.id):
            task.session_id = None
            await self.repo.add(task)
        return await self.public(ctx.session, ctx.warehouse)

    # --- accuracy ---
    async def accuracy(
        self, warehouse: str | None, since: date | None, until: date | None
    ) -> AccuracyReport:
        self.who.check_role(CATALOG_ROLES, "see count accuracy")
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self._warehouse(warehouse)
            assert wh.id is not None
            ids = [wh.id]
        start = datetime.combine(since, datetime.min.time(), UTC) if since else None
        end = (
            datetime.combine(until, datetime.min.time(), UTC) + timedelta(days=1) if until else None
        )
        rows = await self.repo.accuracy_lines(ids, start, end)
        sessions = [
            SessionAccuracy(
                number=r.number,
                closed_at=_aware(r.closed_at),
                **_ratio(int(r.lines), int(r.ok or 0)),
            )
            for r in rows
        ]
        months: dict[str, list[int]] = {}
        for r in rows:
            closed = _aware(r.closed_at)
            key = closed.strftime("%Y-%m") if closed else "?"
            acc = months.setdefault(key, [0, 0])
            acc[0] += int(r.lines)
            acc[1] += int(r.ok or 0)
        total, ok = sum(int(r.lines) for r in rows), sum(int(r.ok or 0) for r in rows)
        return AccuracyReport(
            sessions=sessions,
            by_month=[PeriodAccuracy(month=m, **_ratio(n, k)) for m, (n, k) in months.items()],
            **_ratio(total, ok),
        )

    # --- the ABC plan ---
    async def plan(self, warehouse: str) -> CountPlanPublic:
        wh = await self._warehouse(warehouse)
        assert wh.id is not None
        return CountPlanPublic(warehouse=wh.code, intervals=await self._intervals(wh.id))

    async def _intervals(self, warehouse_id: int) -> dict[str, int]:
        intervals = dict(DEFAULT_INTERVALS)
        intervals.update({p.abc_class: p.interval_days for p in await self.repo.plan(warehouse_id)})
        return intervals

    async def set_plan(self, warehouse: str, data: CountPlanIn) -> CountPlanPublic:
        self.who.check_role(CATALOG_ROLES, "plan counts")
        wh = await self._warehouse(warehouse)
        assert wh.id is not None
        if any(days < 1 or days > 3660 for days in data.intervals.values()):
            raise errors.Invalid("An interval is 1 to 3660 days.", field="intervals")
        rows = {p.abc_class: p for p in await self.repo.plan(wh.id)}
        for abc, days in data.intervals.items():
            row = rows.get(abc.value) or CountPlan(
                warehouse_id=wh.id, abc_class=abc.value, interval_days=days
            )
            row.interval_days = days
            await self.repo.add(row)
        return await self.plan(warehouse)

    async def generate(self, warehouse: str, as_of: date | None) -> list[CountTaskPublic]:
        """Create a task for each stocked product of a planned class whose next count is
        due by ``as_of`` (last counted + its class's interval; never counted: due now).
        A product with an open task gets no second one."""
        self.who.check_role(CATALOG_ROLES, "plan counts")
        wh = await self._warehouse(warehouse)
        assert wh.id is not None
        today = as_of or _now().date()
        intervals = await self._intervals(wh.id)
        last = await self.repo.last_counted(wh.id)
        open_ = await self.repo.open_task_keys(wh.id)
        created: list[CountTaskPublic] = []
        for product in await self.repo.stocked_products(wh.id, sorted(intervals)):
            assert product.id is not None and product.abc_class is not None
            if product.id in open_:
                continue
            counted = _aware(last.get(product.id))
            due = (
                counted.date() + timedelta(days=intervals[product.abc_class]) if counted else today
            )
            if due > today:
                continue
            task = CountTask(
                warehouse_id=wh.id,
                product_id=product.id,
                abc_class=product.abc_class,
                due_date=due,
                open_key=f"{wh.id}:{product.id}",
            )
            await self.repo.add(task)
            created.append(_task_public(task, wh.code, product.sku, None, counted))
        return created

    async def tasks(self, warehouse: str | None, status: str | None) -> list[CountTaskPublic]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self._warehouse(warehouse)
            assert wh.id is not None
            ids = [wh.id]
        rows = await self.repo.tasks(ids, status)
        codes = {w.id: w.code for w in await self.catalog.warehouses(None)}
        numbers = await self.repo.session_numbers(
            sorted({t.session_id for t, _ in rows if t.session_id})
        )
        return [
            _task_public(
                t, codes.get(t.warehouse_id, ""), sku, numbers.get(t.session_id or 0), None
            )
            for t, sku in rows
        ]


class CountPostings:
    """Closing and approving: decide (one transaction), post through the ledger writer,
    record what it did (another transaction). Owns those units of work; a crash in between
    leaves lines ``posting`` with their event ids, and the next close/approve/post call
    re-submits them, answered ``duplicate`` if they had applied."""

    def __init__(self, db: Database, writer: ScanWriter, who: Principal, settings: Settings):
        self.db = db
        self.writer = writer
        self.who = who
        self.settings = settings

    def _service(self, session: Any) -> CountService:
        return CountService(CountsRepository(session), self.who, self.settings)

    async def close(self, number: str, skip_uncounted: bool) -> CountPublic:
        async with self.db.session(write=True) as session:
            await self._service(session).close(number, skip_uncounted)
        return await self.post(number)

    async def approve(self, number: str, refs: Sequence[str]) -> CountPublic:
        async with self.db.session(write=True) as session:
            await self._service(session).approve(number, refs)
        return await self.post(number)

    async def post(self, number: str) -> CountPublic:
        async with self.db.session() as session:
            items = await self._service(session).postings(number)
        results = await self.writer.apply(items) if items else []
        async with self.db.session(write=True) as session:
            return await self._service(session).record(number, results)


def _product_filter(s: CountSession) -> set[int] | None:
    return {int(p) for p in s.product_ids.split(",")} if s.product_ids else None


def _line_public(ln: CountLine, product: Product, sees: bool) -> CountLinePublic:
    public = CountLinePublic(
        sku=product.sku,
        lot=ln.lot_number,
        status=ln.status,
        counted=ln.counted_qty,
        seq=ln.seq,
        error=ln.error,
    )
    if sees:
        public.book = ln.book_qty
        public.expected = ln.expected_qty
        public.variance = ln.variance
        public.variance_value = ln.variance_value
        public.moved_during_count = ln.moved_during_count
    return public


def _accuracy(lines: Sequence[CountLine]) -> Accuracy:
    final = [ln for ln in lines if ln.status in FINAL_LINE]
    return Accuracy(**_ratio(len(final), sum(1 for ln in final if ln.variance == 0)))


def _ratio(lines: int, ok: int) -> dict[str, Any]:
    return {"lines": lines, "ok": ok, "accuracy": round(ok / lines, 4) if lines else None}


def _task_public(
    t: CountTask, warehouse: str, sku: str, session: str | None, last: datetime | None
) -> CountTaskPublic:
    return CountTaskPublic(
        warehouse=warehouse,
        sku=sku,
        abc_class=t.abc_class,
        due_date=t.due_date,
        status=t.status,
        session=session,
        last_counted=last.date() if last else None,
    )
