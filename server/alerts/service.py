"""Stock alerts (预警): below safety stock, overstock, negative available, expiring and
expired lots on the shelves — each raised once and cleared when its condition ends.

The evaluator is built in the app's lifespan. After every committed scan batch it is told
which (warehouse, product) pairs moved and re-judges just those; every
``JXC_ALERT_SWEEP_SECONDS`` it re-judges every pair with stock or an open alert (lots
expire without any move). Conditions are judged per warehouse on physical (non-virtual)
locations. An alert state is one row: ``open_key`` is the condition's key while it is
open, and the database refuses a second open row for one key, so two evaluators (two
processes) raise a condition once; clearing is a conditional update. Only the evaluator
that changed a row publishes it, as ``{"type": "alert", "event": "raised"|"cleared"}`` on
the broker: every process's stock subscribers receive it (no ``seq``: alerts are not
moves).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from server import errors
from server.alerts.repository import AlertsRepository, Pair
from server.alerts.rules import (
    ALERT_KINDS,
    BELOW_SAFETY,
    EXPIRED,
    EXPIRING,
    NEGATIVE,
    OVERSTOCK,
    STOCK_KINDS,
)
from server.alerts.schemas import AlertPublic, EvaluateResult
from server.auth.principal import CATALOG_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.db import Database
from server.kit.quantity import ZERO
from server.models import Alert, Product
from server.settings import Settings

log = logging.getLogger(__name__)
Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str
    warehouse_id: int
    product_id: int
    lot_id: int | None
    message: str
    value: Decimal | None
    threshold: Decimal | None

    @property
    def key(self) -> str:
        lot = f":{self.lot_id}" if self.lot_id is not None else ""
        return f"{self.kind}:{self.warehouse_id}:{self.product_id}{lot}"


def judge(
    products: dict[int, Product],
    holdings: Iterable[Any],
    warehouses: dict[int, str],
    today: date,
    expiry_days: int,
    available: dict[Pair, Decimal] | None = None,
) -> dict[str, Condition]:
    """Every condition that holds, by key (pure: the rules of the stock alerts).

    ``available`` (available to promise: sellable on hand - open reservations, per
    warehouse and product) is what ``negative_available`` judges; without it, on hand."""
    on_hand: dict[Pair, Decimal] = {}
    found: dict[str, Condition] = {}
    soon = today + timedelta(days=expiry_days)
    for h in holdings:
        pair = (h.warehouse_id, h.product_id)
        on_hand[pair] = on_hand.get(pair, ZERO) + h.qty
        if h.qty <= 0 or h.expiry is None:
            continue
        p, wh = products[h.product_id], warehouses.get(h.warehouse_id, "?")
        if h.expiry < today:
            c = Condition(
                EXPIRED.name,
                h.warehouse_id,
                h.product_id,
                h.lot_id,
                f"Lot {h.lot} of {p.sku} expired on {h.expiry.isoformat()}; "
                f"{h.qty.normalize():f} still on the shelves in {wh}.",
                h.qty,
                None,
            )
        elif h.expiry <= soon:
            c = Condition(
                EXPIRING.name,
                h.warehouse_id,
                h.product_id,
                h.lot_id,
                f"Lot {h.lot} of {p.sku} expires on {h.expiry.isoformat()} "
                f"({(h.expiry - today).days} days); {h.qty.normalize():f} in {wh}.",
                h.qty,
                Decimal(expiry_days),
            )
        else:
            continue
        found[c.key] = c
    for pair in sorted(set(on_hand) | set(available or {})):
        wid, pid = pair
        qty = on_hand.get(pair, ZERO)
        p, wh = products[pid], warehouses.get(wid, "?")
        conditions = []
        free = available.get(pair, ZERO) if available is not None else qty
        if free < 0:
            text = (
                f"{p.sku}: {free:f} available in {wh} (sellable on hand - reserved)."
                if available is not None
                else f"{p.sku} is at {qty:f} in {wh}."
            )
            conditions.append(Condition(NEGATIVE.name, wid, pid, None, text, free, ZERO))
        if p.safety_stock > 0 and qty < p.safety_stock:
            conditions.append(
                Condition(
                    BELOW_SAFETY.name,
                    wid,
                    pid,
                    None,
                    f"{p.sku}: {qty.normalize():f} in {wh}, below the safety stock of "
                    f"{p.safety_stock.normalize():f}.",
                    qty,
                    p.safety_stock,
                )
            )
        if p.max_stock is not None and qty > p.max_stock:
            conditions.append(
                Condition(
                    OVERSTOCK.name,
                    wid,
                    pid,
                    None,
                    f"{p.sku}: {qty.normalize():f} in {wh}, above the maximum of "
                    f"{p.max_stock.normalize():f}.",
                    qty,
                    p.max_stock,
                )
            )
        found.update((c.key, c) for c in conditions)
    return found


class AlertEvaluator:
    def __init__(self, db: Database, publish: Publish, settings: Settings) -> None:
        self.db = db
        self.publish = publish
        self.settings = settings
        self.today: Callable[[], date] = lambda: datetime.now(UTC).date()
        self._pending: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._sweepers: list[Callable[[], Awaitable[EvaluateResult]]] = []

    def add_sweeper(self, sweep: Callable[[], Awaitable[EvaluateResult]]) -> None:
        """Another domain's alerts (supplier qualifications…), re-judged at every sweep."""
        self._sweepers.append(sweep)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="jxc-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def notify(self, moves: Sequence[dict[str, Any]]) -> None:
        """Called after a batch committed: re-judge what its moves touched."""
        self._pending.update((m["warehouse"], m["sku"]) for m in moves)
        self._wake.set()

    async def _run(self) -> None:
        interval = self.settings.alert_sweep_seconds
        gap = self.settings.alert_coalesce_seconds
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        last = -gap
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_sweep - loop.time()))
            if (wait := last + gap - loop.time()) > 0 and loop.time() < next_sweep:
                # Under load, batches commit faster than judging them is worth: let the moves
                # of the next ones join this evaluation.
                await asyncio.sleep(min(wait, next_sweep - loop.time()))
            self._wake.clear()
            pending, self._pending = self._pending, set()
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + interval
                    await self.sweep()
                elif pending:
                    await self.evaluate(pending)
            except Exception:  # the database is away: the next sweep catches up
                log.exception("alert evaluation failed")
            last = loop.time()

    async def evaluate(self, codes: Iterable[tuple[str, str]]) -> EvaluateResult:
        async with self.db.session() as session:
            pairs = await AlertsRepository(session).pair_ids(codes)
        return await self._judge(pairs)

    async def sweep(self) -> EvaluateResult:
        async with self.db.session() as session:
            repo = AlertsRepository(session)
            pairs = (
                await repo.stocked_pairs()
                | await repo.reserved_pairs()
                | await repo.open_pairs(sorted(STOCK_KINDS))
            )
        result = await self._judge(pairs)
        for sweep in self._sweepers:
            more = await sweep()
            result = EvaluateResult(
                raised=result.raised + more.raised, cleared=result.cleared + more.cleared
            )
        return result

    async def _judge(self, pairs: set[Pair]) -> EvaluateResult:
        if not pairs:
            return EvaluateResult(raised=0, cleared=0)
        async with self._lock:
            ordered = sorted(pairs)
            # Read first: most batches change no alert and need no write transaction.
            async with self.db.session() as session:
                repo = AlertsRepository(session)
                holdings = await repo.holdings(ordered)
                available = await repo.available(ordered, self.today())
                products = await repo.products(sorted({p for _, p in ordered}))
                warehouses = await repo.warehouse_codes()
                current = {a.open_key: a for a in await repo.open_for(ordered, sorted(STOCK_KINDS))}
            wanted = judge(
                products,
                holdings,
                warehouses,
                self.today(),
                self.settings.expiry_alert_days,
                available,
            )
            rows = {
                key: {
                    "kind": c.kind,
                    "warehouse_id": c.warehouse_id,
                    "product_id": c.product_id,
                    "lot_id": c.lot_id,
                    "message": c.message[:500],
                    "value": c.value,
                    "threshold": c.threshold,
                }
                for key, c in wanted.items()
            }
            return await reconcile(self.db, self.publish, rows, current, warehouses)


async def reconcile(
    db: Database,
    publish: Publish,
    wanted: dict[str, dict[str, Any]],
    current: dict[str | None, Alert],
    warehouses: dict[int, str],
) -> EvaluateResult:
    """Make the open alerts of a set of conditions what ``wanted`` says (open key -> the
    alert's values): raise what is not open yet, clear what no longer holds, and publish
    only the rows this call changed (another process may have raised or cleared one first).
    ``current``: the open alerts of the same conditions, read before."""
    to_raise = [(key, values) for key, values in wanted.items() if key not in current]
    to_clear = [a for key, a in current.items() if key not in wanted]
    if not to_raise and not to_clear:
        return EvaluateResult(raised=0, cleared=0)
    async with db.session(write=True) as session:
        repo = AlertsRepository(session)
        now = datetime.now(UTC)
        changed: list[tuple[str, int]] = []
        for key, values in to_raise:
            new_id = await repo.raise_({**values, "open_key": key, "raised_at": now})
            if new_id is not None:
                changed.append(("raised", new_id))
        for a in to_clear:
            assert a.id is not None
            if await repo.clear(a.id, now):
                changed.append(("cleared", a.id))
        rows = [(event, await repo.get(i)) for event, i in changed]
        publics = await to_public(repo, [a for _, a in rows if a is not None], warehouses)
        events = [
            {"type": "alert", "event": event, **public.model_dump(mode="json")}
            for (event, _), public in zip(rows, publics, strict=True)
        ]
    if events:
        try:
            await publish(events)
        except Exception:
            log.exception("publishing %d alert events failed", len(events))
    raised = sum(1 for e in events if e["event"] == "raised")
    return EvaluateResult(raised=raised, cleared=len(events) - raised)


async def to_public(
    repo: AlertsRepository, alerts: Sequence[Alert], warehouses: dict[int, str]
) -> list[AlertPublic]:
    skus, lots = await repo.names(alerts)
    return [
        AlertPublic(
            id=a.id or 0,
            kind=a.kind,
            severity=ALERT_KINDS[a.kind].severity if a.kind in ALERT_KINDS else "warning",
            warehouse=warehouses.get(a.warehouse_id) if a.warehouse_id else None,
            sku=skus.get(a.product_id) if a.product_id else None,
            lot=lots.get(a.lot_id) if a.lot_id else None,
            subject=a.subject,
            message=a.message,
            value=a.value,
            threshold=a.threshold,
            raised_at=a.raised_at,
            cleared_at=a.cleared_at,
        )
        for a in alerts
    ]


class AlertService:
    def __init__(self, repo: AlertsRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who

    async def listing(
        self, warehouse: str | None, kind: str | None, include_cleared: bool, limit: int
    ) -> list[AlertPublic]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await CatalogRepository(self.repo.session).warehouse(warehouse)
            if wh is None or wh.id is None or not self.who.can_access(wh.id):
                raise errors.NotFound(f"No warehouse {warehouse}.")
            ids = [wh.id]
        if kind is not None and kind not in ALERT_KINDS:
            raise errors.Invalid(f"No alert kind {kind}; known: {', '.join(sorted(ALERT_KINDS))}.")
        alerts = await self.repo.listing(ids, kind, include_cleared, limit)
        return await to_public(self.repo, alerts, await self.repo.warehouse_codes())

    def check_evaluate(self) -> None:
        self.who.check_role(CATALOG_ROLES, "re-evaluate alerts")
