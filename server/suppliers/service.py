"""Suppliers (供应商): master data, contacts, qualification documents, price lists, price
comparison and scorecards; the qualification alerts.

- **Qualified.** A supplier is qualified while no kind of its qualification documents has
  expired: per kind (case-insensitive), the newest expiry counts and older copies are
  ``superseded``. A supplier with no documents is qualified (nothing is required of it).
  Purchase orders to an unqualified supplier are refused at confirmation unless a
  supervisor overrides (``server/purchasing``).
- **Alerts.** ``qualification_expiring`` (within ``JXC_QUALIFICATION_ALERT_DAYS``) and
  ``qualification_expired``, in ``GET /api/alerts`` with the supplier as the subject; raised
  once and cleared like stock alerts, re-judged after every change of a qualification and at
  every alert sweep (time passes).
- **Price comparison.** For a quantity, each supplier's best price break whose minimum the
  quantity reaches; ranked by unit price (then lead time) and by lead time (then price).
- **Scorecard** (pure: ``scorecard``): on-time rate, fill rate, quality pass rate and average
  lead time, from purchase orders, receipts, quality checks and the ledger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from server import errors
from server.alerts.rules import AlertKind, register_alert_kind
from server.alerts.schemas import EvaluateResult
from server.alerts.service import reconcile
from server.auth.principal import CATALOG_ROLES, Principal
from server.db import Database
from server.kit.quantity import ZERO
from server.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    Supplier,
    SupplierContact,
    SupplierPrice,
    SupplierQualification,
)
from server.settings import Settings
from server.suppliers.repository import SuppliersRepository
from server.suppliers.schemas import (
    ContactIn,
    ContactPublic,
    PriceComparison,
    PriceIn,
    PriceOffer,
    PricePublic,
    QualificationCheck,
    QualificationIn,
    QualificationPublic,
    Scorecard,
    SupplierCreate,
    SupplierPublic,
    SupplierUpdate,
)

log = logging.getLogger(__name__)
Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]

QUALIFICATION_EXPIRING = register_alert_kind(
    AlertKind(
        "qualification_expiring",
        "warning",
        "A supplier's licence or certificate expires within the alert window.",
    )
)
QUALIFICATION_EXPIRED = register_alert_kind(
    AlertKind(
        "qualification_expired",
        "critical",
        "A supplier's licence or certificate has expired: orders to it are blocked.",
    )
)
QUALIFICATION_KINDS = (QUALIFICATION_EXPIRING.name, QUALIFICATION_EXPIRED.name)
FINISHED = frozenset({PurchaseOrderStatus.received, PurchaseOrderStatus.closed})


def _today() -> date:
    return datetime.now(UTC).date()


def qualification_states(
    quals: Sequence[SupplierQualification], today: date, alert_days: int
) -> list[QualificationPublic]:
    """Each document's state: the newest of a kind counts, older ones are superseded."""
    newest: dict[tuple[int, str], date] = {}
    for q in quals:
        key = (q.supplier_id, q.kind.casefold())
        newest[key] = max(newest.get(key, q.expires_on), q.expires_on)
    out = []
    for q in quals:
        days = (q.expires_on - today).days
        if q.expires_on < newest[(q.supplier_id, q.kind.casefold())]:
            status = "superseded"
        elif days < 0:
            status = "expired"
        elif days <= alert_days:
            status = "expiring"
        else:
            status = "valid"
        out.append(
            QualificationPublic(
                id=q.id or 0,
                kind=q.kind,
                number=q.number,
                issued_on=q.issued_on,
                expires_on=q.expires_on,
                note=q.note,
                status=status,
                days_left=days,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Delivery:
    """One product of a PO arriving on one receipt."""

    arrived: date
    expected: date | None
    confirmed: date | None


def scorecard(
    code: str,
    deliveries: Iterable[Delivery],
    ordered_received: Iterable[tuple[Decimal, Decimal]],  # per line of finished POs
    received_total: Decimal,
    rejected: Decimal,
    purchase_orders: int,
) -> Scorecard:
    """The figures (pure). On time: arrived on or before the expected date (deliveries with
    no expected date are not rated). Fill: received (at most the ordered quantity per line)
    ÷ ordered, on POs received or closed. Quality: (received − rejected) ÷ received, on
    closed receipts. Lead time: days from the PO's confirmation to the delivery."""
    rated = list(deliveries)
    with_date = [d for d in rated if d.expected is not None]
    on_time = sum(1 for d in with_date if d.expected is not None and d.arrived <= d.expected)
    leads = [(d.arrived - d.confirmed).days for d in rated if d.confirmed is not None]
    ordered = received = ZERO
    for o, r in ordered_received:
        ordered += o
        received += min(o, r)
    return Scorecard(
        supplier=code,
        deliveries=len(with_date),
        on_time_deliveries=on_time,
        on_time_rate=round(on_time / len(with_date), 4) if with_date else None,
        ordered=ordered,
        received=received,
        fill_rate=round(float(received / ordered), 4) if ordered else None,
        received_total=received_total,
        rejected=rejected,
        quality_pass_rate=(
            round(float((received_total - rejected) / received_total), 4)
            if received_total
            else None
        ),
        lead_time_days=round(sum(leads) / len(leads), 2) if leads else None,
        purchase_orders=purchase_orders,
    )


class SupplierService:
    def __init__(self, repo: SuppliersRepository, who: Principal, settings: Settings) -> None:
        self.repo = repo
        self.who = who
        self.settings = settings

    async def get(self, code: str) -> Supplier:
        s = await self.repo.by_code(code)
        if s is None or s.id is None:
            raise errors.NotFound(f"No supplier {code}.")
        return s

    async def create(self, data: SupplierCreate) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "create suppliers")
        if await self.repo.by_code(data.code):
            raise errors.AlreadyExists(f"Supplier {data.code} already exists.")
        s = Supplier(**data.model_dump(exclude={"contacts", "qualifications"}))
        await self.repo.add(s)
        assert s.id is not None
        for c in data.contacts:
            await self.repo.add(SupplierContact(supplier_id=s.id, **c.model_dump()))
        for q in data.qualifications:
            await self._add_qualification(s, q)
        return await self.public(s)

    async def update(self, code: str, data: SupplierUpdate) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "change suppliers")
        s = await self.get(code)
        for k, v in data.model_dump(exclude_unset=True).items():
            setattr(s, k, v)
        await self.repo.add(s)
        return await self.public(s)

    async def listing(
        self, q: str | None, include_inactive: bool, with_scorecard: bool
    ) -> list[SupplierPublic]:
        found = await self.repo.listing(q, include_inactive, 500)
        return [await self.public(s, with_scorecard=with_scorecard) for s in found]

    async def public(self, s: Supplier, *, with_scorecard: bool = False) -> SupplierPublic:
        assert s.id is not None
        quals = qualification_states(
            await self.repo.qualifications([s.id]), _today(), self.settings.qualification_alert_days
        )
        return SupplierPublic(
            code=s.code,
            name=s.name,
            currency=s.currency,
            payment_terms=s.payment_terms,
            lead_time_days=s.lead_time_days,
            email=s.email,
            phone=s.phone,
            address=s.address,
            active=s.active,
            qualified=not any(q.status == "expired" for q in quals),
            contacts=[
                ContactPublic(id=c.id or 0, name=c.name, role=c.role, email=c.email, phone=c.phone)
                for c in await self.repo.contacts(s.id)
            ],
            qualifications=quals,
            scorecard=await self.scorecard_of(s) if with_scorecard else None,
        )

    # --- contacts and qualifications ---
    async def add_contact(self, code: str, data: ContactIn) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "change suppliers")
        s = await self.get(code)
        assert s.id is not None
        await self.repo.add(SupplierContact(supplier_id=s.id, **data.model_dump()))
        return await self.public(s)

    async def remove_contact(self, code: str, contact_id: int) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "change suppliers")
        s = await self.get(code)
        assert s.id is not None
        c = await self.repo.contact(s.id, contact_id)
        if c is None:
            raise errors.NotFound(f"Supplier {code} has no contact {contact_id}.")
        await self.repo.delete(c)
        return await self.public(s)

    async def _add_qualification(self, s: Supplier, data: QualificationIn) -> None:
        assert s.id is not None
        if data.issued_on is not None and data.issued_on > data.expires_on:
            raise errors.Invalid("A qualification cannot expire before it was issued.")
        await self.repo.add(SupplierQualification(supplier_id=s.id, **data.model_dump()))

    async def add_qualification(self, code: str, data: QualificationIn) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "change suppliers")
        s = await self.get(code)
        await self._add_qualification(s, data)
        return await self.public(s)

    async def remove_qualification(self, code: str, qid: int) -> SupplierPublic:
        self.who.check_role(CATALOG_ROLES, "change suppliers")
        s = await self.get(code)
        assert s.id is not None
        q = await self.repo.qualification(s.id, qid)
        if q is None:
            raise errors.NotFound(f"Supplier {code} has no qualification {qid}.")
        await self.repo.delete(q)
        return await self.public(s)

    async def qualification_check(self, s: Supplier) -> QualificationCheck:
        assert s.id is not None
        quals = qualification_states(
            await self.repo.qualifications([s.id]), _today(), self.settings.qualification_alert_days
        )
        expired = [q for q in quals if q.status == "expired"]
        return QualificationCheck(supplier=s.code, qualified=not expired, expired=expired)

    # --- prices ---
    async def set_price(self, code: str, data: PriceIn) -> PricePublic:
        self.who.check_role(CATALOG_ROLES, "change price lists")
        s = await self.get(code)
        product = await self.repo.product(data.sku)
        if product is None or product.id is None:
            raise errors.NotFound(f"No product {data.sku}.")
        assert s.id is not None
        price = await self.repo.price(s.id, product.id, data.min_qty) or SupplierPrice(
            supplier_id=s.id, product_id=product.id, min_qty=data.min_qty, unit_price=ZERO
        )
        price.unit_price = data.unit_price
        price.lead_time_days = data.lead_time_days
        price.supplier_sku = data.supplier_sku
        price.updated_at = datetime.now(UTC)
        await self.repo.add(price)
        return self._price_public(s, price, product.sku)

    async def remove_price(self, code: str, sku: str, min_qty: Decimal | None) -> None:
        self.who.check_role(CATALOG_ROLES, "change price lists")
        s = await self.get(code)
        product = await self.repo.product(sku)
        if product is None or product.id is None or s.id is None:
            raise errors.NotFound(f"No product {sku}.")
        if not await self.repo.delete_prices(s.id, product.id, min_qty):
            raise errors.NotFound(f"Supplier {code} has no such price for {sku}.")

    async def prices(self, code: str) -> list[PricePublic]:
        s = await self.get(code)
        assert s.id is not None
        return [
            self._price_public(s, p, sku) for p, sku in await self.repo.prices_of_supplier(s.id)
        ]

    @staticmethod
    def _price_public(s: Supplier, p: SupplierPrice, sku: str) -> PricePublic:
        return PricePublic(
            supplier=s.code,
            sku=sku,
            unit_price=p.unit_price,
            min_qty=p.min_qty,
            lead_time_days=p.lead_time_days if p.lead_time_days is not None else s.lead_time_days,
            supplier_sku=p.supplier_sku,
            currency=s.currency,
        )

    async def best_price(self, supplier: Supplier, product_id: int, qty: Decimal) -> Decimal | None:
        """The supplier's unit price for ``qty`` (the highest break it reaches), if any."""
        best: SupplierPrice | None = None
        for p, s in await self.repo.prices_of_product(product_id):
            if (
                s.id == supplier.id
                and p.min_qty <= qty
                and (best is None or p.min_qty > best.min_qty)
            ):
                best = p
        return best.unit_price if best is not None else None

    async def compare(self, sku: str, qty: Decimal) -> PriceComparison:
        if qty <= 0:
            raise errors.InvalidQuantity("Compare prices for a quantity greater than 0.")
        product = await self.repo.product(sku)
        if product is None or product.id is None:
            raise errors.NotFound(f"No product {sku}.")
        rows = await self.repo.prices_of_product(product.id)
        best: dict[int, tuple[SupplierPrice, Supplier]] = {}
        priced: set[str] = set()
        for p, s in rows:
            priced.add(s.code)
            if p.min_qty > qty or s.id is None:
                continue
            if s.id not in best or p.min_qty > best[s.id][0].min_qty:
                best[s.id] = (p, s)
        docs = await self.repo.qualifications(sorted(best))
        states = qualification_states(docs, _today(), self.settings.qualification_alert_days)
        blocked = {
            q.supplier_id for q, st in zip(docs, states, strict=True) if st.status == "expired"
        }
        offers = [
            PriceOffer(
                supplier=s.code,
                name=s.name,
                currency=s.currency,
                unit_price=p.unit_price,
                min_qty=p.min_qty,
                total=(p.unit_price * qty).quantize(Decimal("0.001")),
                lead_time_days=p.lead_time_days
                if p.lead_time_days is not None
                else s.lead_time_days,
                qualified=sid not in blocked,
            )
            for sid, (p, s) in best.items()
        ]
        return PriceComparison(
            sku=product.sku,
            qty=qty,
            by_price=sorted(offers, key=lambda o: (o.unit_price, o.lead_time_days, o.supplier)),
            by_lead_time=sorted(offers, key=lambda o: (o.lead_time_days, o.unit_price, o.supplier)),
            not_reached=sorted(priced - {o.supplier for o in offers}),
        )

    # --- scorecard ---
    async def scorecard(self, code: str) -> Scorecard:
        return await self.scorecard_of(await self.get(code))

    async def scorecard_of(self, s: Supplier) -> Scorecard:
        assert s.id is not None
        orders = await self.repo.orders([s.id])
        by_id: dict[int, PurchaseOrder] = {o.id: o for o in orders if o.id is not None}
        lines = await self.repo.order_lines(sorted(by_id))
        line_of: dict[tuple[int, int], PurchaseOrderLine] = {
            (ln.po_id, ln.product_id): ln for ln in lines
        }
        received: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for row in await self.repo.received_by_po(sorted(by_id)):
            received[(row.po_id, row.product_id)] += row.qty
        ordered_received = [
            (ln.qty, received.get((ln.po_id, ln.product_id), ZERO))
            for ln in lines
            if by_id[ln.po_id].status in FINISHED
        ]
        receipts: dict[int, Receipt] = {
            r.id: r for r in await self.repo.closed_receipts([s.id]) if r.id is not None
        }
        deliveries: list[Delivery] = []
        received_total = ZERO
        for row in await self.repo.receipt_deliveries(sorted(receipts)):
            received_total += row.qty
            r = receipts[row.receipt_id]
            po = by_id.get(r.po_id) if r.po_id is not None else None
            ln = line_of.get((po.id or 0, row.product_id)) if po is not None else None
            if po is None or ln is None:
                continue  # a free receipt, or an item that was not on the PO: not a delivery
            first_at: datetime = row.first_at
            if first_at.tzinfo is None:
                first_at = first_at.replace(tzinfo=UTC)
            deliveries.append(
                Delivery(
                    arrived=first_at.astimezone(UTC).date(),
                    expected=ln.expected_date or po.expected_date,
                    confirmed=po.confirmed_at.astimezone(UTC).date() if po.confirmed_at else None,
                )
            )
        rejected = sum((row.qty for row in await self.repo.rejected(sorted(receipts))), ZERO)
        return scorecard(
            s.code, deliveries, ordered_received, received_total, rejected, len(orders)
        )


@dataclass(frozen=True, slots=True)
class _Condition:
    kind: str
    qualification_id: int
    supplier: str
    message: str
    days_left: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.qualification_id}"


def qualification_conditions(
    rows: Iterable[tuple[SupplierQualification, str]], today: date, alert_days: int
) -> dict[str, _Condition]:
    """The alert conditions that hold (pure)."""
    rows = list(rows)
    states = qualification_states([q for q, _ in rows], today, alert_days)
    found: dict[str, _Condition] = {}
    for (q, code), st in zip(rows, states, strict=True):
        what = f"{q.kind}{' No. ' + q.number if q.number else ''}"
        if st.status == "expired":
            c = _Condition(
                QUALIFICATION_EXPIRED.name,
                st.id,
                code,
                f"Supplier {code}: {what} expired on {q.expires_on.isoformat()}; "
                "orders to it are blocked.",
                st.days_left,
            )
        elif st.status == "expiring":
            c = _Condition(
                QUALIFICATION_EXPIRING.name,
                st.id,
                code,
                f"Supplier {code}: {what} expires on {q.expires_on.isoformat()} "
                f"({st.days_left} days).",
                st.days_left,
            )
        else:
            continue
        found[c.key] = c
    return found


class QualificationAlerts:
    """Raises and clears the qualification alerts (raised once: ``Alert.open_key``)."""

    def __init__(self, db: Database, publish: Publish, settings: Settings) -> None:
        self.db = db
        self.publish = publish
        self.settings = settings
        self.today: Callable[[], date] = _today

    async def evaluate(self) -> EvaluateResult:
        async with self.db.session() as session:
            rows = [(q, c) for q, c in await SuppliersRepository(session).all_qualifications()]
            open_alerts = await SuppliersRepository(session).open_alerts(QUALIFICATION_KINDS)
            current = {a.open_key: a for a in open_alerts}
        wanted = qualification_conditions(
            rows, self.today(), self.settings.qualification_alert_days
        )
        alerts = {
            key: {
                "kind": c.kind,
                "subject": c.supplier,
                "message": c.message[:500],
                "value": Decimal(c.days_left),
                "threshold": Decimal(self.settings.qualification_alert_days),
            }
            for key, c in wanted.items()
        }
        return await reconcile(self.db, self.publish, alerts, current, {})
