"""Receiving (收货) by scan: receipt sessions at a dock, quality checks, putaway.

1. **Open** a receipt at a dock by scanning the PO's barcode (``PO-…``) or a pallet's SSCC
   from the PO's ASN, by the PO's number, or free (no PO). Several receipts may be open
   against one PO at once (two docks).
2. **Scan** what arrives: each scan posts a ``receive`` move supplier -> dock through the
   ledger writer, ``reference`` = the receipt's number. A GS1 label gives GTIN, lot, expiry
   and quantity at once. Checked before posting: the PO still receivable, the product on it
   (else ``unexpected``: refused or flagged, ``JXC_UNEXPECTED_ITEM_POLICY``), the lot
   (``lot_required``), the expiry (``lot_expired``; short-dated below the product's or
   ``JXC_MIN_SHELF_LIFE_DAYS`` minimum: flagged or refused, ``JXC_SHORT_DATED_POLICY``) and
   the quantity: up to ordered it is fine, up to ordered x (1 + ``JXC_OVER_RECEIPT_TOLERANCE``)
   it is flagged ``over_receipt``, beyond it refused (409 ``over_receipt``) or flagged
   (``JXC_OVER_RECEIPT_POLICY``). The refusal is enforced by the writer itself (a ``Cap``
   per PO line, counted in the ledger's transaction), so two docks racing on one line
   cannot together pass it; the check before posting only gives the early answer.
3. **Close**: the PO's lines still short are reported, and the PO's status is derived from
   the ledger again (partially received / received). What a PO line has received is the sum
   of the receive moves of the PO's receipts: never a counter, never counted twice.
4. **Quality check** per receipt line (product, lot), after close: accepted + rejected =
   received; the rejected quantity moves dock -> ``<WH>:QUARANTINE`` (a physical location of
   kind quarantine, created when first needed; not a bin, so never a pick or putaway target).
5. **Putaway**: a suggested bin per line (the product's fixed bin, else a bin holding the
   same lot, else the same product, else an empty bin); confirmed by scanning the bin:
   a ``transfer`` dock -> bin. What leaves the dock for a receipt line (rejected + put away)
   is capped at what the line received, in the writer's transaction.

Like the other document flows, each step commits its decision, posts through the writer
(a SQLite write transaction is never held across the writer's), then records the outcome;
events go to the live stream after the commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from server import errors
from server.auth.principal import SCAN_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.codes.repository import CodesRepository
from server.codes.resolver import resolve
from server.db import Database
from server.kit.quantity import ZERO
from server.ledger.posting import document_event_id
from server.ledger.repository import LedgerRepository
from server.ledger.service import Cap, PendingScan
from server.ledger.writer import ScanWriter
from server.models import (
    RECEIVABLE,
    Location,
    LocationKind,
    MoveKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptQc,
    ReceiptStatus,
    Tracking,
    Warehouse,
)
from server.purchasing.repository import PurchasingRepository
from server.purchasing.schemas import POPublic
from server.purchasing.service import PurchasingService, line_state, po_event
from server.receiving.repository import ReceivingRepository
from server.receiving.schemas import (
    OrderLineProgress,
    PutawayIn,
    PutawayResult,
    QcIn,
    ReceiptLinePublic,
    ReceiptOpen,
    ReceiptPublic,
    ReceiptScanIn,
    ReceiptScanResult,
    ShortLine,
    Suggestion,
)
from server.scans.schemas import ScanIn, ScanResult
from server.settings import Settings
from server.suppliers.repository import SuppliersRepository

log = logging.getLogger(__name__)
Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]
RECEIVE_ROLES = SCAN_ROLES[MoveKind.receive]
LineKey = tuple[int, str | None]  # product, lot
NO_LIMIT = Decimal(10) ** 12  # a cap that only counts (the over-receipt policy is "warn")


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().date()


def quarantine_code(warehouse_code: str) -> str:
    return f"{warehouse_code}:QUARANTINE"


@dataclass(slots=True)
class Flows:
    """A receipt's quantities per (product, lot), from its moves in the ledger."""

    received: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    rejected: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    put_away: dict[LineKey, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    expiry: dict[LineKey, date | None] = field(default_factory=dict)

    def at_dock(self, key: LineKey) -> Decimal:
        return (
            self.received.get(key, ZERO)
            - self.rejected.get(key, ZERO)
            - self.put_away.get(key, ZERO)
        )

    def by_product(self) -> dict[int, Decimal]:
        out: dict[int, Decimal] = defaultdict(Decimal)
        for (pid, _), qty in self.received.items():
            out[pid] += qty
        return out


@dataclass(slots=True)
class Doc:
    receipt: Receipt
    warehouse: Warehouse
    dock: Location
    po: PurchaseOrder | None


@dataclass(slots=True)
class ScanPlan:
    """A receiving scan, checked: what to post, and how it was flagged."""

    item: PendingScan
    receipt_id: int
    product_id: int
    lot: str | None
    expiry: date | None
    flags: list[str]
    warnings: list[str]
    replay: bool  # the ledger already applied this event id


@dataclass(slots=True)
class PutawayPlan:
    item: PendingScan
    suggested: str | None
    followed: bool


def over_limit(ordered: Decimal, tolerance: Decimal) -> Decimal:
    return (ordered * (1 + tolerance)).quantize(Decimal("0.001"))


class ReceivingService:
    def __init__(self, repo: ReceivingRepository, who: Principal, settings: Settings) -> None:
        self.repo = repo
        self.catalog = CatalogRepository(repo.session)
        self.purchasing = PurchasingRepository(repo.session)
        self.who = who
        self.settings = settings

    def _check_receiver(self, action: str) -> None:
        if not self.who.may_scan(MoveKind.receive):
            allowed = ", ".join(sorted(RECEIVE_ROLES))
            raise errors.Forbidden(f"Only {allowed} may {action}.")

    # --- reading ---
    async def doc(self, number: str) -> Doc:
        r = await self.repo.by_number(number)
        wh = await self.catalog.warehouse_by_id(r.warehouse_id) if r else None
        if r is None or wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No receipt {number}.")
        dock = await self.repo.location(r.dock_id)
        assert dock is not None
        po = await self.purchasing.by_id(r.po_id) if r.po_id is not None else None
        return Doc(r, wh, dock, po)

    async def flows(self, doc: Doc) -> Flows:
        flows = Flows()
        quarantine = quarantine_code(doc.warehouse.code)
        for row in await LedgerRepository(self.repo.session).document_flows(
            doc.receipt.number or ""
        ):
            key = (row.product_id, row.lot)
            flows.expiry.setdefault(key, row.expiry)
            if row.kind == MoveKind.receive:
                flows.received[key] += row.qty
            elif row.kind == MoveKind.transfer and row.from_location_id == doc.dock.id:
                to = await self.repo.location(row.to_location_id)
                if to is not None and to.code == quarantine:
                    flows.rejected[key] += row.qty
                else:
                    flows.put_away[key] += row.qty
        return flows

    async def public(self, doc: Doc, flows: Flows | None = None) -> ReceiptPublic:
        r = doc.receipt
        assert r.id is not None
        flows = flows or await self.flows(doc)
        order_lines: list[OrderLineProgress] = []
        short: list[ShortLine] = []
        po_lines: list[PurchaseOrderLine] = []
        if doc.po is not None and doc.po.id is not None:
            po_lines = await self.purchasing.lines(doc.po.id)
        qcs = {(q.product_id, q.lot_number): q for q in await self.repo.qcs(r.id)}
        flags: dict[LineKey, set[str]] = defaultdict(set)
        for row in await self.repo.scan_flags(r.id):
            flags[(row.product_id, row.lot_number)].update(f for f in row.flags.split(",") if f)
        pids = {ln.product_id for ln in po_lines} | {k[0] for k in flows.received}
        products = await self.repo.products(sorted(pids))
        if doc.po is not None and doc.po.id is not None:
            total = await self.purchasing.received(doc.po.id)
            here = flows.by_product()
            tolerance = self.settings.over_receipt_tolerance
            for ln in po_lines:
                got = total.get(ln.product_id, ZERO)
                order_lines.append(
                    OrderLineProgress(
                        sku=products[ln.product_id].sku,
                        name=products[ln.product_id].name,
                        ordered=ln.qty,
                        received=got,
                        received_here=here.get(ln.product_id, ZERO),
                        remaining=max(ln.qty - got, ZERO),
                        state=line_state(ln.qty, got),
                        over_tolerance=got > over_limit(ln.qty, tolerance),
                    )
                )
                if got < ln.qty:
                    short.append(
                        ShortLine(
                            sku=products[ln.product_id].sku,
                            ordered=ln.qty,
                            received=got,
                            short=ln.qty - got,
                        )
                    )
        lines = []
        for key in sorted(flows.received, key=lambda k: (products[k[0]].sku, k[1] or "")):
            qc = qcs.get(key)
            lines.append(
                ReceiptLinePublic(
                    sku=products[key[0]].sku,
                    lot=key[1],
                    expiry=flows.expiry.get(key),
                    received=flows.received[key],
                    flags=sorted(flags.get(key, set())),
                    qc="done" if qc is not None else "pending",
                    accepted=qc.accepted_qty if qc else None,
                    rejected=qc.rejected_qty if qc else None,
                    reject_reason=qc.reason if qc else None,
                    put_away=flows.put_away.get(key, ZERO),
                    at_dock=flows.at_dock(key),
                )
            )
        supplier = await self.repo.supplier(r.supplier_id)
        return ReceiptPublic(
            number=r.number or "",
            warehouse=doc.warehouse.code,
            dock=doc.dock.code,
            po=doc.po.number if doc.po else None,
            supplier=supplier.code if supplier else None,
            status=r.status,
            opened_with=r.opened_with,
            note=r.note,
            opened_at=r.opened_at,
            closed_at=r.closed_at,
            order_lines=order_lines,
            lines=lines,
            short=short,
        )

    async def get(self, number: str) -> ReceiptPublic:
        return await self.public(await self.doc(number))

    async def listing(self, status: str | None, po: str | None) -> list[ReceiptPublic]:
        if status is not None and status not in set(ReceiptStatus):
            raise errors.Invalid(f"No receipt status {status}.")
        po_id = None
        if po is not None:
            found = await self.purchasing.by_number(po)
            if found is None:
                raise errors.NotFound(f"No purchase order {po}.")
            po_id = found.id
        receipts = await self.repo.listing(self.who.warehouse_scope, status, po_id)
        return [await self.get(r.number or "") for r in receipts]

    # --- opening ---
    async def open(self, data: ReceiptOpen) -> ReceiptPublic:
        self._check_receiver("receive goods")
        dock = await self._dock(data.dock)
        wh = await self.catalog.warehouse_by_id(dock.warehouse_id)
        assert wh is not None and wh.id is not None and dock.id is not None
        self.who.check_warehouse(wh.id, wh.code)
        po = await self._po_to_receive(data)
        supplier_id = None
        if po is not None:
            if po.warehouse_id != wh.id:
                raise errors.InvalidLocation(
                    f"{po.number} is delivered to another warehouse, not to {dock.code}."
                )
            supplier_id = po.supplier_id
        elif data.supplier is not None:
            s = await SuppliersRepository(self.repo.session).by_code(data.supplier)
            if s is None:
                raise errors.NotFound(f"No supplier {data.supplier}.")
            supplier_id = s.id
        receipt = Receipt(
            warehouse_id=wh.id,
            dock_id=dock.id,
            po_id=po.id if po else None,
            supplier_id=supplier_id,
            opened_with=(data.code or data.po or "")[:64] or None,
            note=data.note,
            opened_by=self.who.user_id,
        )
        await self.repo.add(receipt)
        assert receipt.id is not None
        receipt.number = f"RCV-{receipt.id:06d}"
        await self.repo.add(receipt)
        return await self.public(Doc(receipt, wh, dock, po), Flows())

    async def _dock(self, ref: str | None) -> Location:
        loc = None
        if ref is not None:
            loc = await self.catalog.location_by_ref(ref)
        elif self.who.location_id is not None:
            loc = await self.repo.location(self.who.location_id)
        if loc is None or not loc.active:
            raise errors.UnknownLocation(
                f"No active location {ref!r}." if ref else "Say which dock (dock).", field="dock"
            )
        if loc.kind != LocationKind.dock:
            raise errors.InvalidLocation(f"{loc.code} is a {loc.kind}; receive at a dock.")
        return loc

    async def _po_to_receive(self, data: ReceiptOpen) -> PurchaseOrder | None:
        number = data.po
        po: PurchaseOrder | None = None
        if data.code is not None:
            code = resolve(data.code, await CodesRepository(self.repo.session).index([data.code]))
            if code.kind == "document" and code.document and code.document.type == "purchase_order":
                number = code.document.number
            elif code.kind == "sscc" and code.gs1 is not None and code.gs1.sscc:
                po = await self.purchasing.by_sscc(code.gs1.sscc)
                if po is None:
                    raise errors.NotFound(f"SSCC {code.gs1.sscc} is on no purchase order's ASN.")
            else:
                raise errors.InvalidCode(
                    f"{data.code!r} is not a purchase order's barcode nor a pallet's SSCC.",
                    code=data.code,
                )
        if data.po is not None and data.code is not None:
            scanned = po.number if po is not None else number
            if scanned != data.po:  # both given, and they disagree
                raise errors.Invalid(f"{data.code!r} is not {data.po}; give one or the other.")
        if po is None and number is not None:
            po = await self.purchasing.by_number(number)
            if po is None:
                raise errors.NotFound(f"No purchase order {number}.")
        if po is not None and po.status not in RECEIVABLE:
            raise errors.InvalidState(f"{po.number} is {po.status}; it cannot be received.")
        return po

    # --- a receiving scan: checks only, nothing written ---
    async def plan_scan(self, number: str, data: ReceiptScanIn) -> ScanPlan:
        self._check_receiver("receive goods")
        doc = await self.doc(number)
        r = doc.receipt
        assert r.id is not None and doc.warehouse.id is not None
        self.who.check_warehouse(doc.warehouse.id, doc.warehouse.code)
        if r.status != ReceiptStatus.open:
            raise errors.InvalidState(f"Receipt {number} is {r.status}.")
        if doc.po is not None and doc.po.status not in RECEIVABLE:
            raise errors.InvalidState(f"{doc.po.number} is {doc.po.status}; it cannot be received.")
        code = resolve(data.code, await CodesRepository(self.repo.session).index([data.code]))
        if code.product is None:
            raise code.not_a_product()
        product = await self.repo.product(code.product.id)
        assert product is not None and product.id is not None
        if not product.active:
            raise errors.ProductInactive(f"Product {product.sku} is archived.")
        replay = await self.repo.applied(str(data.event_id))
        qty = data.qty if data.qty is not None else (code.quantity or Decimal(1))
        if not qty.is_finite() or qty <= 0:
            raise errors.InvalidQuantity("A received quantity must be greater than 0.")
        tracking = Tracking(product.tracking)
        lot: str | None = None
        if tracking == Tracking.lot:
            lot = data.lot or code.lot
            if lot is None:
                raise errors.LotRequired(f"{product.sku} is lot-tracked: scan its lot.")
        elif tracking == Tracking.serial:
            lot = data.lot or code.serial or code.lot
            if lot is None:
                raise errors.LotRequired(f"{product.sku} is serial-tracked: scan its serial.")
            if qty != 1:
                raise errors.InvalidQuantity(
                    f"{product.sku} is serial-tracked: scan each unit (quantity 1)."
                )
        expiry = data.expiry or code.expiry
        if expiry is None and lot is not None:  # a lot we know: its recorded expiry
            expiry = await self.repo.lot_expiry(product.id, lot)
        flags: list[str] = []
        warnings: list[str] = []
        caps: tuple[Cap, ...] = ()
        if not replay:
            self._check_expiry(product, lot, expiry, flags, warnings)
            if doc.po is not None:
                caps = await self._check_order(doc, product, qty, flags, warnings)
        scan = ScanIn(
            event_id=data.event_id,
            type=MoveKind.receive,
            code=data.code,
            qty=qty,
            location=doc.dock.code,
            lot=lot,
            expiry=expiry,
            reference=r.number,
            scanned_at=data.scanned_at,
        )
        item = PendingScan(scan, self.who, caps=caps)
        return ScanPlan(item, r.id, product.id, lot, expiry, flags, warnings, replay)

    def _check_expiry(
        self,
        product: Product,
        lot: str | None,
        expiry: date | None,
        flags: list[str],
        warnings: list[str],
    ) -> None:
        if expiry is None:
            return
        today = _today()
        what = f"{product.sku}{' lot ' + lot if lot else ''}"
        if expiry < today:
            raise errors.LotExpired(
                f"{what} expired on {expiry.isoformat()}; it is not received.",
                lot=lot,
                expiry=expiry.isoformat(),
            )
        minimum = (
            product.min_shelf_life_days
            if product.min_shelf_life_days is not None
            else self.settings.min_shelf_life_days
        )
        left = (expiry - today).days
        if left < minimum:
            message = (
                f"{what} expires on {expiry.isoformat()}: {left} days of shelf life left, "
                f"fewer than the {minimum} required."
            )
            if self.settings.short_dated_policy == "reject":
                raise errors.ShortDated(message, expiry=expiry.isoformat(), days_left=left)
            flags.append("short_dated")
            warnings.append(message)

    async def _check_order(
        self, doc: Doc, product: Product, qty: Decimal, flags: list[str], warnings: list[str]
    ) -> tuple[Cap, ...]:
        po = doc.po
        assert po is not None and po.id is not None and product.id is not None
        line = next(
            (ln for ln in await self.purchasing.lines(po.id) if ln.product_id == product.id), None
        )
        if line is None:
            message = f"{product.sku} is not on {po.number}."
            if self.settings.unexpected_item_policy == "reject":
                raise errors.UnexpectedItem(message, sku=product.sku)
            flags.append("unexpected")
            warnings.append(message)
            return ()
        received = (await self.purchasing.received(po.id)).get(product.id, ZERO)
        after = received + qty
        limit = over_limit(line.qty, self.settings.over_receipt_tolerance)
        reject = self.settings.over_receipt_policy == "reject"
        label = f"{po.number} {product.sku} (ordered {line.qty.normalize():f})"
        if after > limit and reject:
            raise errors.OverReceipt(
                f"{label}: {received.normalize():f} received; {qty.normalize():f} more is "
                f"beyond the tolerance (at most {limit.normalize():f} in all).",
                ordered=float(line.qty),
                received=float(received),
                limit=float(limit),
            )
        if after > line.qty:
            flags.append("over_receipt")
            warnings.append(
                f"{label}: {after.normalize():f} received, more than ordered"
                f"{' (within the tolerance)' if after <= limit else ''}."
            )
        return (Cap(f"{po.number}:{product.id}", limit if reject else NO_LIMIT, label=label),)

    async def record_scan(self, plan: ScanPlan, result: ScanResult) -> POPublic | None:
        """Record the applied scan; if its receipt closed meanwhile (the scan was checked
        just before), re-derive the PO's status, which that close could not count it in.
        Returns the PO when its status changed."""
        scan = plan.item.scan
        await self.repo.record_scan(
            {
                "receipt_id": plan.receipt_id,
                "event_id": str(scan.event_id),
                "seq": result.seq or 0,
                "product_id": plan.product_id,
                "lot_number": plan.lot,
                "expiry": plan.expiry,
                "qty": result.qty if result.qty is not None else scan.qty,
                "flags": ",".join(plan.flags),
                "user_id": self.who.user_id,
                "received_at": scan.scanned_at or _now(),
            }
        )
        receipt = await self.repo.by_number(scan.reference or "")
        if receipt is None or receipt.status == ReceiptStatus.open or receipt.po_id is None:
            return None
        po = await self.purchasing.by_id(receipt.po_id)
        service = PurchasingService(self.purchasing, self.who, self.settings)
        if po is not None and await service.refresh_status(po):
            return await service.public(po)
        return None

    # --- closing ---
    async def close(self, number: str) -> tuple[ReceiptPublic, POPublic | None]:
        self._check_receiver("close receipts")
        doc = await self.doc(number)
        r = doc.receipt
        assert doc.warehouse.id is not None
        self.who.check_warehouse(doc.warehouse.id, doc.warehouse.code)
        if r.status != ReceiptStatus.open:
            raise errors.InvalidState(f"Receipt {number} is {r.status}.")
        flows = await self.flows(doc)
        r.status = ReceiptStatus.closed if any(flows.received.values()) else ReceiptStatus.cancelled
        r.closed_at, r.closed_by = _now(), self.who.user_id
        await self.repo.add(r)
        po_public = None
        if doc.po is not None:
            service = PurchasingService(self.purchasing, self.who, self.settings)
            if await service.refresh_status(doc.po):
                po_public = await service.public(doc.po)
        return await self.public(doc, flows), po_public

    # --- quality check ---
    async def plan_qc(self, number: str, data: QcIn) -> tuple[Doc, ReceiptQc, PendingScan | None]:
        """Record the decision (unique per line) and the quarantine posting to make."""
        self._check_receiver("check quality")
        doc = await self.doc(number)
        r = doc.receipt
        assert r.id is not None and doc.warehouse.id is not None
        self.who.check_warehouse(doc.warehouse.id, doc.warehouse.code)
        if r.status != ReceiptStatus.closed:
            raise errors.InvalidState(
                f"Receipt {number} is {r.status}; its quality is checked once it is closed."
            )
        product = await self.catalog.product(data.sku)
        if product is None or product.id is None:
            raise errors.NotFound(f"No product {data.sku}.")
        flows = await self.flows(doc)
        key = (product.id, data.lot)
        received = flows.received.get(key, ZERO)
        what = f"{data.sku}{' lot ' + data.lot if data.lot else ''}"
        if received <= 0:
            raise errors.NotFound(f"Receipt {number} received no {what}.")
        accepted = (
            data.accepted if data.accepted is not None else received - (data.rejected or ZERO)
        )
        rejected = data.rejected if data.rejected is not None else received - accepted
        for q in (accepted, rejected):
            if not q.is_finite() or q < 0 or q != q.quantize(Decimal("0.001")):
                raise errors.InvalidQuantity("Accepted and rejected are 0 or more (3 decimals).")
        if accepted + rejected != received:
            raise errors.InvalidQuantity(
                f"{what}: {received.normalize():f} received; accepted + rejected must make "
                f"that, not {(accepted + rejected).normalize():f}."
            )
        if rejected > 0 and not data.reason:
            raise errors.ReasonRequired("Say why the goods are rejected (reason).")
        existing = await self.repo.qc(r.id, product.id, data.lot)
        if (
            existing is not None
            and existing.seq is None
            and existing.event_id
            and (
                existing.accepted_qty,
                existing.rejected_qty,
            )
            == (accepted, rejected)
        ):
            qc = existing  # the same decision whose posting did not finish: finish it
        elif existing is not None:
            raise errors.InvalidState(f"{what} of {number} was checked already.")
        else:
            if flows.put_away.get(key, ZERO) > 0:
                raise errors.InvalidState(f"{what} of {number} is being put away already.")
            qc = ReceiptQc(
                receipt_id=r.id,
                product_id=product.id,
                lot_number=data.lot,
                lot_key=data.lot or "",
                accepted_qty=accepted,
                rejected_qty=rejected,
                reason=data.reason,
                event_id=(
                    document_event_id(number, "qc", product.id, data.lot or "")
                    if rejected > 0
                    else None
                ),
                checked_by=self.who.user_id,
            )
            await self.repo.add(qc)
        if rejected == 0:
            return doc, qc, None
        quarantine = await self.repo.ensure_location(
            doc.warehouse.id, quarantine_code(doc.warehouse.code), LocationKind.quarantine
        )
        scan = ScanIn(
            event_id=UUID(qc.event_id),
            type=MoveKind.transfer,
            code=product.sku,
            qty=rejected,
            location=doc.dock.code,
            to_location=quarantine.code,
            lot=data.lot,
            reference=number,
            reason=f"QC reject: {data.reason}"[:200],
        )
        cap = _dock_cap(number, product.id, product.sku, data.lot, received)
        return doc, qc, PendingScan(scan, self.who, authorized=True, caps=(cap,))

    async def finish_qc(self, number: str, data: QcIn, result: ScanResult | None) -> ReceiptPublic:
        doc = await self.doc(number)
        assert doc.receipt.id is not None
        product = await self.catalog.product(data.sku)
        assert product is not None and product.id is not None
        qc = await self.repo.qc(doc.receipt.id, product.id, data.lot)
        if qc is not None and result is not None:
            if result.status == "rejected":
                await self.repo.delete(qc)  # nothing moved: the line may be checked again
            else:
                qc.seq = result.seq
                await self.repo.add(qc)
        return await self.public(doc)

    # --- putaway ---
    async def suggestions(self, number: str) -> list[Suggestion]:
        doc = await self.doc(number)
        flows = await self.flows(doc)
        products = await self.repo.products(sorted({k[0] for k in flows.received}))
        out = []
        for key in sorted(flows.received, key=lambda k: (products[k[0]].sku, k[1] or "")):
            left = flows.at_dock(key)
            if left <= 0:
                continue
            loc, why = await self._suggest(doc, products[key[0]], key[1])
            out.append(
                Suggestion(
                    sku=products[key[0]].sku,
                    lot=key[1],
                    qty=left,
                    location=loc.code if loc else None,
                    barcode=loc.barcode if loc else None,
                    why=why,
                )
            )
        return out

    async def _suggest(
        self, doc: Doc, product: Product, lot: str | None
    ) -> tuple[Location | None, str | None]:
        assert product.id is not None and doc.warehouse.id is not None
        if product.default_location_id is not None:
            fixed = await self.repo.bin(product.default_location_id)
            if fixed is not None and fixed.warehouse_id == doc.warehouse.id:
                return fixed, "fixed bin"
        lot_id = await self.repo.lot_id(product.id, lot)
        if lot_id is not None:
            same = await self.repo.bins_holding(doc.warehouse.id, product.id, lot_id)
            if same:
                return same[0], "same lot"
        same = await self.repo.bins_holding(doc.warehouse.id, product.id, None)
        if same:
            return same[0], "same product"
        empty = await self.repo.empty_bin(doc.warehouse.id)
        return (empty, "empty bin") if empty is not None else (None, None)

    async def plan_putaway(self, number: str, data: PutawayIn) -> PutawayPlan:
        if not self.who.may_scan(MoveKind.transfer):
            raise errors.Forbidden(f"{self.who.name} may not put goods away.")
        doc = await self.doc(number)
        r = doc.receipt
        assert doc.warehouse.id is not None
        self.who.check_warehouse(doc.warehouse.id, doc.warehouse.code)
        if r.status != ReceiptStatus.closed:
            raise errors.InvalidState(
                f"Receipt {number} is {r.status}; it is put away once it is closed."
            )
        code = resolve(data.code, await CodesRepository(self.repo.session).index([data.code]))
        if code.product is None:
            raise code.not_a_product()
        product = await self.repo.product(code.product.id)
        assert product is not None and product.id is not None
        flows = await self.flows(doc)
        lot = data.lot
        if Tracking(product.tracking) == Tracking.none:
            lot = None
        elif lot is None:
            lot = code.serial if Tracking(product.tracking) == Tracking.serial else code.lot
            if lot is None:
                open_lots = [
                    k[1] for k in flows.received if k[0] == product.id and flows.at_dock(k) > 0
                ]
                if len(open_lots) == 1:
                    lot = open_lots[0]
        key = (product.id, lot)
        what = f"{product.sku}{' lot ' + lot if lot else ''}"
        if flows.received.get(key, ZERO) <= 0:
            raise errors.NotFound(f"Receipt {number} received no {what}.")
        left = flows.at_dock(key)
        if left <= 0:
            raise errors.OverReceipt(f"Nothing of {what} is left at the dock for {number}.")
        qty = data.qty if data.qty is not None else (code.quantity or left)
        if not qty.is_finite() or qty <= 0:
            raise errors.InvalidQuantity("A putaway quantity must be greater than 0.")
        if qty > left:
            raise errors.OverReceipt(
                f"{number}: {left.normalize():f} of {what} is left at the dock; "
                f"{qty.normalize():f} cannot be put away.",
                at_dock=float(left),
            )
        loc = await self.catalog.location_by_ref(data.location)
        if loc is None or not loc.active:
            raise errors.UnknownLocation(f"No active location {data.location!r}.", field="location")
        if loc.warehouse_id != doc.warehouse.id or loc.kind != LocationKind.bin:
            raise errors.InvalidLocation(f"Put {what} away into a bin of {doc.warehouse.code}.")
        suggested, _ = await self._suggest(doc, product, lot)
        scan = ScanIn(
            event_id=data.event_id,
            type=MoveKind.transfer,
            code=data.code,
            qty=qty,
            location=doc.dock.code,
            to_location=loc.code,
            lot=lot,
            reference=number,
        )
        cap = _dock_cap(number, product.id, product.sku, lot, flows.received[key])
        item = PendingScan(scan, self.who, caps=(cap,))
        suggested_code = suggested.code if suggested else None
        return PutawayPlan(item, suggested_code, suggested_code == loc.code)


def _dock_cap(number: str, product_id: int, sku: str, lot: str | None, received: Decimal) -> Cap:
    """What leaves the dock for one receipt line (rejected + put away) never passes what it
    received: the dock is shared by every receipt, so its balance alone would let one
    receipt's putaway take another's goods."""
    return Cap(
        f"{number}:dock:{product_id}:{lot or ''}",
        received,
        label=f"{number} {sku}{' lot ' + lot if lot else ''} at the dock",
    )


def receipt_event(receipt: ReceiptPublic, event: str, **extra: Any) -> dict[str, Any]:
    """The live stream's message: a receipt's progress (expected vs received per line)."""
    return {
        "type": "receipt",
        "event": event,
        "warehouse": receipt.warehouse,
        "number": receipt.number,
        "po": receipt.po,
        "dock": receipt.dock,
        "status": receipt.status,
        "order_lines": [
            {
                "sku": ln.sku,
                "ordered": float(ln.ordered),
                "received": float(ln.received),
                "state": ln.state,
            }
            for ln in receipt.order_lines
        ],
        **extra,
    }


class ReceivingFlow:
    """Each step: decide (a transaction), post through the writer, record (another),
    then publish."""

    def __init__(
        self,
        db: Database,
        writer: ScanWriter,
        publish: Publish,
        who: Principal,
        settings: Settings,
    ) -> None:
        self.db = db
        self.writer = writer
        self._publish = publish
        self.who = who
        self.settings = settings

    def _service(self, session: AsyncSession) -> ReceivingService:
        return ReceivingService(ReceivingRepository(session), self.who, self.settings)

    async def publish(self, events: list[dict[str, Any]]) -> None:
        try:
            await self._publish(events)
        except Exception:  # committed already; a client re-reads the receipt
            log.exception("publishing %d receiving events failed", len(events))

    async def _post(self, item: PendingScan) -> ScanResult:
        (result,) = await self.writer.apply([item])
        if result.status == "rejected" and result.error is not None:
            err = result.error
            raise errors.from_code(err.code, err.message, err.details)
        return result

    async def open(self, data: ReceiptOpen) -> ReceiptPublic:
        async with self.db.session(write=True) as session:
            out = await self._service(session).open(data)
        await self.publish([receipt_event(out, "opened")])
        return out

    async def scan(self, number: str, data: ReceiptScanIn) -> ReceiptScanResult:
        async with self.db.session() as session:
            plan = await self._service(session).plan_scan(number, data)
        result = await self._post(plan.item)
        async with self.db.session(write=True) as session:
            service = self._service(session)
            po = await service.record_scan(plan, result)
            receipt = await service.get(number)
        events = [
            receipt_event(
                receipt,
                "scan",
                sku=result.product,
                lot=result.lot,
                qty=float(result.qty or 0),
                flags=plan.flags,
            )
        ]
        await self.publish(events + ([po_event(po, "status")] if po is not None else []))
        return ReceiptScanResult(
            result=result, flags=plan.flags, warnings=plan.warnings, receipt=receipt
        )

    async def close(self, number: str) -> ReceiptPublic:
        async with self.db.session(write=True) as session:
            receipt, po = await self._service(session).close(number)
        events = [
            receipt_event(
                receipt, "closed", short=[s.model_dump(mode="json") for s in receipt.short]
            )
        ]
        if po is not None:
            events.append(po_event(po, "status"))
        await self.publish(events)
        return receipt

    async def qc(self, number: str, data: QcIn) -> ReceiptPublic:
        async with self.db.session(write=True) as session:
            _, _, item = await self._service(session).plan_qc(number, data)
        result = await self.writer.apply([item]) if item is not None else []
        async with self.db.session(write=True) as session:
            out = await self._service(session).finish_qc(
                number, data, result[0] if result else None
            )
        if result and result[0].status == "rejected" and result[0].error is not None:
            err = result[0].error
            raise errors.from_code(err.code, err.message, err.details)
        await self.publish([receipt_event(out, "qc", sku=data.sku, lot=data.lot)])
        return out

    async def putaway(self, number: str, data: PutawayIn) -> PutawayResult:
        async with self.db.session() as session:
            plan = await self._service(session).plan_putaway(number, data)
        result = await self._post(plan.item)
        async with self.db.session() as session:
            receipt = await self._service(session).get(number)
        await self.publish(
            [
                receipt_event(
                    receipt,
                    "putaway",
                    sku=result.product,
                    lot=result.lot,
                    qty=float(result.qty or 0),
                    location=result.to_location,
                )
            ]
        )
        return PutawayResult(
            result=result, suggested=plan.suggested, followed=plan.followed, receipt=receipt
        )
