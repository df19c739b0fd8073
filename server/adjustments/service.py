"""Adjustments with reason codes: ``damage``, ``loss`` and ``scrap`` remove stock, ``found``
adds it. Scrap goes to the warehouse's scrap location, the others to (or from) inventory
loss. Within the approval threshold (quantity and value at unit cost, ``JXC_ADJUST_APPROVAL_*``)
an adjustment posts at once; beyond it, it waits for a supervisor other than the requester
(an admin may approve their own). Every posted adjustment is a ledger move with the poster,
the reason (and note) and the adjustment's number as its reference.

``AdjustmentFlow`` owns the units of work: a check (read), the posting through the ledger
writer, then the document (write); a ledger rejection is the request's error and leaves
nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.adjustments.repository import AdjustmentsRepository
from server.adjustments.schemas import AdjustmentCreate, AdjustmentPublic
from server.auth.principal import CATALOG_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.codes.repository import CodesRepository
from server.codes.resolver import resolve
from server.db import Database
from server.ledger.service import PendingScan
from server.ledger.writer import ScanWriter
from server.models import (
    Adjustment,
    AdjustmentReason,
    AdjustmentStatus,
    LocationKind,
    MoveKind,
    Product,
    Role,
)
from server.scans.schemas import ScanIn, ScanResult
from server.settings import Settings

REQUEST_ROLES = frozenset(Role)  # anyone on the floor may report damage or a find


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Draft:
    """A checked request: what it posts and whether it must wait for approval."""

    adjustment: Adjustment
    needs_approval: bool


class AdjustmentService:
    def __init__(self, repo: AdjustmentsRepository, who: Principal, settings: Settings) -> None:
        self.repo = repo
        self.catalog = CatalogRepository(repo.session)
        self.who = who
        self.settings = settings

    async def existing(self, event_id: str) -> AdjustmentPublic | None:
        found = await self.repo.by_event(event_id)
        return (await self.public([found]))[0] if found else None

    async def draft(self, data: AdjustmentCreate) -> Draft:
        self.who.check_role(REQUEST_ROLES, "request adjustments")
        loc = await self.catalog.location_by_ref(data.location)
        if loc is None or loc.id is None or not loc.active:
            raise errors.UnknownLocation(f"No active location has the code {data.location!r}.")
        if LocationKind(loc.kind).is_virtual:
            raise errors.InvalidLocation(f"{loc.code} is a virtual location.")
        self.who.check_warehouse(loc.warehouse_id)
        code = resolve(data.code, await CodesRepository(self.repo.session).index([data.code]))
        if code.product is None:
            raise code.not_a_product()
        product = await self.repo.session.get(Product, code.product.id)
        assert product is not None and product.id is not None
        sign = 1 if data.reason == AdjustmentReason.found else -1
        value = (data.qty * product.unit_cost).quantize(Decimal("0.001"))
        needs = data.qty > self.settings.adjust_approval_qty or (
            value > self.settings.adjust_approval_value
        )
        adjustment = Adjustment(
            warehouse_id=loc.warehouse_id,
            location_id=loc.id,
            product_id=product.id,
            code=data.code,
            lot_number=data.lot or code.serial or code.lot,
            qty=sign * data.qty,
            value=sign * value,
            reason=data.reason,
            note=data.note,
            status=AdjustmentStatus.pending,
            event_id=str(data.event_id),
            requested_by=self.who.user_id,
        )
        return Draft(adjustment, needs)

    def posting(self, a: Adjustment, location: str) -> PendingScan:
        reason = a.reason if not a.note else f"{a.reason}: {a.note}"
        scan = ScanIn(
            event_id=UUID(a.event_id),
            type=MoveKind.adjust,
            code=a.code,
            qty=a.qty,
            location=location,
            lot=a.lot_number,
            reference=a.number,
            reason=reason,
        )
        return PendingScan(scan, self.who, authorized=True)

    async def save(self, a: Adjustment, result: ScanResult | None) -> AdjustmentPublic:
        """Store a request: pending, or posted with the ledger's answer."""
        if result is not None:
            a.status, a.seq = AdjustmentStatus.posted, result.seq
            a.decided_by, a.decided_at = self.who.user_id, _now()
        await self.repo.add(a)
        assert a.id is not None
        if a.number is None:
            a.number = f"ADJ-{a.id:06d}"
            await self.repo.add(a)
        return (await self.public([a]))[0]

    async def location_code(self, a: Adjustment) -> str:
        names = await self.repo.names([a])
        return names[1][a.location_id]

    async def to_approve(self, number: str) -> Adjustment:
        self.who.check_role(CATALOG_ROLES, "approve adjustments")
        a = await self._get(number)
        if a.status != AdjustmentStatus.pending:
            raise errors.InvalidState(f"{number} is {a.status}.")
        if a.requested_by == self.who.user_id and self.who.role != Role.admin:
            raise errors.Forbidden("An adjustment is approved by someone other than its requester.")
        return a

    async def reject(self, number: str) -> AdjustmentPublic:
        a = await self.to_approve(number)
        a.status, a.decided_by, a.decided_at = AdjustmentStatus.rejected, self.who.user_id, _now()
        await self.repo.add(a)
        return (await self.public([a]))[0]

    async def approved(self, number: str, result: ScanResult) -> AdjustmentPublic:
        a = await self._get(number)
        if a.status == AdjustmentStatus.pending:
            a.status, a.seq = AdjustmentStatus.posted, result.seq
            a.decided_by, a.decided_at = self.who.user_id, _now()
            await self.repo.add(a)
        return (await self.public([a]))[0]

    async def discard(self, number: str) -> None:
        a = await self._get(number)
        if a.status == AdjustmentStatus.pending:
            await self.repo.delete(a)

    async def _get(self, number: str) -> Adjustment:
        a = await self.repo.by_number(number)
        if a is None or not self.who.can_access(a.warehouse_id):
            raise errors.NotFound(f"No adjustment {number}.")
        return a

    async def get(self, number: str) -> AdjustmentPublic:
        return (await self.public([await self._get(number)]))[0]

    async def listing(self, status: str | None) -> list[AdjustmentPublic]:
        return await self.public(await self.repo.adjustments(self.who.warehouse_scope, status, 500))

    async def public(self, items: list[Adjustment]) -> list[AdjustmentPublic]:
        if not items:
            return []
        whs, locs, skus, users = await self.repo.names(items)
        return [
            AdjustmentPublic(
                number=a.number or "",
                status=a.status,
                warehouse=whs.get(a.warehouse_id, ""),
                location=locs.get(a.location_id, ""),
                sku=skus.get(a.product_id, ""),
                lot=a.lot_number,
                qty=a.qty,
                value=a.value,
                reason=a.reason,
                note=a.note,
                seq=a.seq,
                requested_by=users.get(a.requested_by) if a.requested_by else None,
                decided_by=users.get(a.decided_by) if a.decided_by else None,
                created_at=a.created_at,
                decided_at=a.decided_at,
            )
            for a in items
        ]


class AdjustmentFlow:
    def __init__(self, db: Database, writer: ScanWriter, who: Principal, settings: Settings):
        self.db = db
        self.writer = writer
        self.who = who
        self.settings = settings

    def _service(self, session: AsyncSession) -> AdjustmentService:
        return AdjustmentService(AdjustmentsRepository(session), self.who, self.settings)

    async def request(self, data: AdjustmentCreate) -> AdjustmentPublic:
        async with self.db.session() as session:
            service = self._service(session)
            if (done := await service.existing(str(data.event_id))) is not None:
                return done  # a retried request
            draft = await service.draft(data)
            location = await service.location_code(draft.adjustment)
        if draft.needs_approval:
            async with self.db.session(write=True) as session:
                return await self._service(session).save(draft.adjustment, None)
        # Number it first, so the move's reference names it: the row is written with its
        # outcome, in one transaction after the ledger accepted it.
        async with self.db.session(write=True) as session:
            service = self._service(session)
            public = await service.save(draft.adjustment, None)
        try:
            result = await self._post(service.posting(draft.adjustment, location))
        except errors.AppError:
            async with self.db.session(write=True) as session:  # the request left nothing
                await self._service(session).discard(public.number)
            raise
        async with self.db.session(write=True) as session:
            return await self._service(session).approved(public.number, result)

    async def approve(self, number: str) -> AdjustmentPublic:
        async with self.db.session() as session:
            service = self._service(session)
            a = await service.to_approve(number)
            item = service.posting(a, await service.location_code(a))
        result = await self._post(item)
        async with self.db.session(write=True) as session:
            return await self._service(session).approved(number, result)

    async def _post(self, item: PendingScan) -> ScanResult:
        (result,) = await self.writer.apply([item])
        if result.status == "rejected" and result.error is not None:
            err = result.error
            raise errors.from_code(err.code, err.message, err.details)
        return result
