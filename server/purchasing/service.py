"""Purchase orders (采购订单) and purchasing budgets.

- **Life cycle.** draft → confirmed → partially-received → received; a confirmed or partly
  received PO may be **closed** by hand (what is missing will not come) and a PO with nothing
  received may be **cancelled**. Only a draft's lines change. One line per product.
- **What a line has received** is read from the ledger: the ``receive`` moves whose reference
  is one of the PO's receipts. Nothing increments a counter, so receiving twice (two docks,
  a retried scan, a second receipt) never counts anything twice. A receipt's close re-derives
  the PO's status from those figures (``refresh_status``).
- **Qualification.** Confirming a PO to a supplier with an expired qualification is refused
  (409 ``qualification_expired``) unless a supervisor (or admin) gives an
  ``override_reason``: who, when and why are stored on the PO and shown with it.
- **Budget.** Confirming adds the PO's amount to its warehouse's budget for the month of
  confirmation (and, per category, its lines of that category). Beyond the budget the answer
  carries a warning (kept on the PO); beyond budget × ``JXC_BUDGET_HARD_LIMIT`` it is refused
  (409 ``budget_exceeded``). The budget rows are locked while checking, so two confirmations
  cannot both take the last of it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from scanner import InvalidCode, interpret
from server import errors
from server.auth.principal import CATALOG_ROLES, Principal
from server.catalog.repository import CatalogRepository
from server.db import Database
from server.kit.code128 import code128_svg
from server.kit.quantity import ZERO
from server.models import (
    RECEIVABLE,
    PurchaseBudget,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderSscc,
    PurchaseOrderStatus,
    ReceiptStatus,
    Supplier,
    Warehouse,
)
from server.purchasing.repository import PurchasingRepository, line_amount
from server.purchasing.schemas import (
    BudgetIn,
    BudgetPublic,
    ConfirmIn,
    Override,
    POCreate,
    POLineIn,
    POLinePublic,
    POPublic,
    POUpdate,
    SsccIn,
)
from server.settings import Settings
from server.suppliers.repository import SuppliersRepository
from server.suppliers.service import SupplierService

S = PurchaseOrderStatus
log = logging.getLogger(__name__)
Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _fmt(value: Decimal) -> str:
    """A quantity as people write it: 12, 4.5, 0.125."""
    return f"{value.normalize():f}" if value else "0"


def _money(value: Decimal) -> str:
    """An amount with two decimals (three when the price has them): 1,250.00, 0.125."""
    places = 3 if value != value.quantize(Decimal("0.01")) else 2
    return f"{value:,.{places}f}"


@dataclass(slots=True)
class BudgetCheck:
    warnings: list[str]


def line_state(qty: Decimal, received: Decimal) -> str:
    if received <= 0:
        return "open"
    if received < qty:
        return "partial"
    return "received" if received == qty else "over"


class PurchasingService:
    def __init__(self, repo: PurchasingRepository, who: Principal, settings: Settings) -> None:
        self.repo = repo
        self.catalog = CatalogRepository(repo.session)
        self.who = who
        self.settings = settings

    # --- reading ---
    async def po(self, number: str, *, lock: bool = False) -> tuple[PurchaseOrder, Warehouse]:
        po = await self.repo.by_number(number, lock=lock)
        wh = await self.catalog.warehouse_by_id(po.warehouse_id) if po else None
        if po is None or wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No purchase order {number}.")
        return po, wh

    async def public(self, po: PurchaseOrder, warnings: list[str] | None = None) -> POPublic:
        assert po.id is not None
        wh = await self.catalog.warehouse_by_id(po.warehouse_id)
        supplier = await self.repo.supplier(po.supplier_id)
        assert wh is not None and supplier is not None
        lines = await self.repo.lines(po.id)
        products = await self.repo.products([ln.product_id for ln in lines])
        received = await self.repo.received(po.id)
        override = None
        if po.override_reason:
            override = Override(
                by=await self.repo.username(po.override_by),
                at=po.override_at,
                reason=po.override_reason,
            )
        return POPublic(
            number=po.number or "",
            supplier=supplier.code,
            supplier_name=supplier.name,
            warehouse=wh.code,
            status=po.status,
            currency=po.currency,
            expected_date=po.expected_date,
            note=po.note,
            total=po.total,
            created_at=po.created_at,
            confirmed_at=po.confirmed_at,
            closed_at=po.closed_at,
            budget_warning=po.budget_warning,
            qualification_override=override,
            ssccs=await self.repo.ssccs(po.id),
            receipts=[r.number or "" for r in await self.repo.receipts(po.id)],
            lines=[
                POLinePublic(
                    line_no=ln.line_no,
                    sku=products[ln.product_id].sku,
                    name=products[ln.product_id].name,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    amount=line_amount(ln.qty, ln.unit_price),
                    expected_date=ln.expected_date or po.expected_date,
                    received=received.get(ln.product_id, ZERO),
                    remaining=max(ln.qty - received.get(ln.product_id, ZERO), ZERO),
                    state=line_state(ln.qty, received.get(ln.product_id, ZERO)),
                )
                for ln in lines
            ],
            warnings=warnings or [],
        )

    async def get(self, number: str) -> POPublic:
        po, _ = await self.po(number)
        return await self.public(po)

    async def listing(
        self, warehouse: str | None, supplier: str | None, status: str | None
    ) -> list[POPublic]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self.catalog.warehouse(warehouse)
            if wh is None or wh.id is None or not self.who.can_access(wh.id):
                raise errors.NotFound(f"No warehouse {warehouse}.")
            ids = [wh.id]
        supplier_id = None
        if supplier is not None:
            s = await SuppliersRepository(self.repo.session).by_code(supplier)
            if s is None:
                raise errors.NotFound(f"No supplier {supplier}.")
            supplier_id = s.id
        if status is not None and status not in set(S):
            raise errors.Invalid(f"No PO status {status}; known: {', '.join(S)}.")
        found = await self.repo.listing(ids, supplier_id, status, 200)
        return [await self.public(po) for po in found]

    # --- drafting ---
    async def _supplier(self, code: str) -> Supplier:
        s = await SuppliersRepository(self.repo.session).by_code(code)
        if s is None or s.id is None:
            raise errors.NotFound(f"No supplier {code}.")
        if not s.active:
            raise errors.InvalidState(f"Supplier {code} is inactive.")
        return s

    async def create(self, data: POCreate) -> POPublic:
        self.who.check_role(CATALOG_ROLES, "create purchase orders")
        supplier = await self._supplier(data.supplier)
        wh = await self.catalog.warehouse(data.warehouse)
        if wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No warehouse {data.warehouse}.")
        assert supplier.id is not None
        po = PurchaseOrder(
            supplier_id=supplier.id,
            warehouse_id=wh.id,
            currency=supplier.currency,
            expected_date=data.expected_date,
            note=data.note,
            created_by=self.who.user_id,
        )
        await self.repo.add(po)
        assert po.id is not None
        po.number = f"PO-{po.id:06d}"
        await self._set_lines(po, supplier, data.lines)
        return await self.public(po)

    async def _set_lines(
        self, po: PurchaseOrder, supplier: Supplier, lines: list[POLineIn]
    ) -> None:
        assert po.id is not None
        seen: set[str] = set()
        total = ZERO
        prices = SupplierService(SuppliersRepository(self.repo.session), self.who, self.settings)
        for n, line in enumerate(lines, start=1):
            if line.sku in seen:
                raise errors.Invalid(f"{line.sku} is on the order twice; one line per product.")
            seen.add(line.sku)
            product = await self.repo.product(line.sku)
            if product is None or product.id is None:
                raise errors.NotFound(f"No product {line.sku}.")
            if not product.active:
                raise errors.ProductInactive(f"Product {line.sku} is archived.")
            price = line.unit_price
            if price is None:
                price = await prices.best_price(supplier, product.id, line.qty)
            if price is None:
                raise errors.Invalid(
                    f"{supplier.code} has no price for {line.qty.normalize():f} of {line.sku}; "
                    "give the line a unit_price.",
                    sku=line.sku,
                )
            total += line_amount(line.qty, price)
            await self.repo.add(
                PurchaseOrderLine(
                    po_id=po.id,
                    line_no=n,
                    product_id=product.id,
                    qty=line.qty,
                    unit_price=price,
                    expected_date=line.expected_date,
                )
            )
        po.total = total
        await self.repo.add(po)

    async def update(self, number: str, data: POUpdate) -> POPublic:
        self.who.check_role(CATALOG_ROLES, "change purchase orders")
        po, _ = await self.po(number, lock=True)
        if po.status != S.draft:
            raise errors.InvalidState(f"{number} is {po.status}; only a draft changes.")
        changes = data.model_dump(exclude_unset=True, exclude={"lines"})
        for k, v in changes.items():
            setattr(po, k, v)
        if data.lines is not None:
            assert po.id is not None
            supplier = await self.repo.supplier(po.supplier_id)
            assert supplier is not None
            await self.repo.delete_lines(po.id)
            await self._set_lines(po, supplier, data.lines)
        await self.repo.add(po)
        return await self.public(po)

    async def add_ssccs(self, number: str, data: SsccIn) -> POPublic:
        """The supplier's advance shipping notice: the pallets the PO comes on."""
        self.who.check_role(CATALOG_ROLES, "change purchase orders")
        po, _ = await self.po(number)
        if po.status not in (S.draft, *RECEIVABLE):
            raise errors.InvalidState(f"{number} is {po.status}.")
        assert po.id is not None
        ssccs = list(dict.fromkeys(data.ssccs))
        for sscc in ssccs:
            try:
                _, gs1 = interpret(f"(00){sscc}")
            except InvalidCode as exc:
                raise errors.InvalidCode(f"{sscc} is not a valid SSCC: {exc}", code=sscc) from exc
            if gs1 is None or gs1.sscc != sscc:
                raise errors.InvalidCode(f"{sscc} is not a valid SSCC.", code=sscc)
        if taken := await self.repo.sscc_taken(ssccs):
            raise errors.AlreadyExists(f"SSCC {taken[0]} is already on a purchase order.")
        for sscc in ssccs:
            await self.repo.add(PurchaseOrderSscc(po_id=po.id, sscc=sscc))
        return await self.public(po)

    # --- the life cycle ---
    async def confirm(self, number: str, data: ConfirmIn) -> POPublic:
        self.who.check_role(CATALOG_ROLES, "confirm purchase orders")
        po, wh = await self.po(number, lock=True)
        if po.status != S.draft:
            raise errors.InvalidState(f"{number} is {po.status}; only a draft is confirmed.")
        assert po.id is not None and wh.id is not None
        lines = await self.repo.lines(po.id)
        if not lines:
            raise errors.InvalidState(f"{number} has no lines.")
        supplier = await self.repo.supplier(po.supplier_id)
        assert supplier is not None
        if not supplier.active:
            raise errors.InvalidState(f"Supplier {supplier.code} is inactive.")
        check = await SupplierService(
            SuppliersRepository(self.repo.session), self.who, self.settings
        ).qualification_check(supplier)
        now = _now()
        if not check.qualified:
            if data.override_reason is None:
                docs = ", ".join(f"{q.kind} (expired {q.expires_on})" for q in check.expired)
                raise errors.QualificationExpired(
                    f"Supplier {supplier.code}'s qualification has expired: {docs}. A "
                    "supervisor may confirm with an override_reason.",
                    expired=[q.model_dump(mode="json") for q in check.expired],
                )
            po.override_by, po.override_at = self.who.user_id, now
            po.override_reason = data.override_reason
        budget = await self._check_budget(po, wh, lines, now)
        po.status, po.confirmed_at, po.confirmed_by = S.confirmed, now, self.who.user_id
        po.budget_warning = "; ".join(budget.warnings)[:500] or None
        await self.repo.add(po)
        return await self.public(po, budget.warnings)

    async def _check_budget(
        self, po: PurchaseOrder, wh: Warehouse, lines: list[PurchaseOrderLine], now: datetime
    ) -> BudgetCheck:
        assert wh.id is not None
        month = now.strftime("%Y-%m")
        budgets = await self.repo.budgets(wh.id, month, lock=True)
        if not budgets:
            return BudgetCheck([])
        products = await self.repo.products([ln.product_id for ln in lines])
        start, end = month_bounds(month)
        warnings: list[str] = []
        for b in budgets:
            category = b.category or None
            adding = sum(
                (
                    line_amount(ln.qty, ln.unit_price)
                    for ln in lines
                    if category is None or products[ln.product_id].category == category
                ),
                ZERO,
            )
            if adding == 0:
                continue
            committed = await self.repo.committed(wh.id, start, end, category)
            after = committed + adding
            what = f"{wh.code} {month}{' ' + category if category else ''}"
            hard = b.amount * self.settings.budget_hard_limit
            if after > hard:
                raise errors.BudgetExceeded(
                    f"{po.number} ({_fmt(adding)}) would take the {what} purchasing budget "
                    f"to {_fmt(after)} of {_fmt(b.amount)}, past its hard limit of {_fmt(hard)}.",
                    budget=float(b.amount),
                    committed=float(committed),
                    adding=float(adding),
                    hard_limit=float(hard),
                )
            if after > b.amount:
                warnings.append(
                    f"Over budget: the {what} purchasing budget is {_fmt(b.amount)}; with "
                    f"{po.number} {_fmt(after)} is committed."
                )
        return BudgetCheck(warnings)

    async def cancel(self, number: str) -> POPublic:
        self.who.check_role(CATALOG_ROLES, "cancel purchase orders")
        po, _ = await self.po(number, lock=True)
        assert po.id is not None
        if po.status not in (S.draft, S.confirmed):
            raise errors.InvalidState(f"{number} is {po.status}; it cannot be cancelled.")
        if any(await self.repo.received(po.id)) or any(
            r.status == ReceiptStatus.open for r in await self.repo.receipts(po.id)
        ):
            raise errors.InvalidState(
                f"{number} is being received or has received goods; close it instead."
            )
        po.status, po.closed_at = S.cancelled, _now()
        await self.repo.add(po)
        return await self.public(po)

    async def close(self, number: str) -> POPublic:
        """What is still missing will not come: the PO is done as it is."""
        self.who.check_role(CATALOG_ROLES, "close purchase orders")
        po, _ = await self.po(number, lock=True)
        assert po.id is not None
        if po.status not in RECEIVABLE:
            raise errors.InvalidState(f"{number} is {po.status}; it cannot be closed.")
        if any(r.status == ReceiptStatus.open for r in await self.repo.receipts(po.id)):
            raise errors.InvalidState(f"{number} has an open receipt; close that first.")
        po.status, po.closed_at = S.closed, _now()
        await self.repo.add(po)
        return await self.public(po)

    async def refresh_status(self, po: PurchaseOrder) -> bool:
        """Derive a receivable PO's status from what the ledger says it received; True when
        it changed."""
        if po.status not in RECEIVABLE:
            return False
        assert po.id is not None
        received = await self.repo.received(po.id)
        lines = await self.repo.lines(po.id)
        if all(received.get(ln.product_id, ZERO) >= ln.qty for ln in lines):
            status = S.received
        elif any(received.values()):
            status = S.partially_received
        else:
            status = S.confirmed
        if status == po.status:
            return False
        po.status = status
        if status == S.received:
            po.closed_at = _now()
        await self.repo.add(po)
        return True

    # --- budgets ---
    async def set_budget(self, data: BudgetIn) -> BudgetPublic:
        self.who.check_role(CATALOG_ROLES, "set purchasing budgets")
        wh = await self.catalog.warehouse(data.warehouse)
        if wh is None or wh.id is None or not self.who.can_access(wh.id):
            raise errors.NotFound(f"No warehouse {data.warehouse}.")
        category = data.category or ""
        found = [b for b in await self.repo.budgets(wh.id, data.month) if b.category == category]
        budget = (
            found[0]
            if found
            else PurchaseBudget(
                warehouse_id=wh.id, month=data.month, category=category, amount=data.amount
            )
        )
        budget.amount, budget.updated_by, budget.updated_at = data.amount, self.who.user_id, _now()
        await self.repo.add(budget)
        return await self._budget_public(budget, wh.code)

    async def budgets(self, warehouse: str | None, month: str | None) -> list[BudgetPublic]:
        ids = self.who.warehouse_scope
        if warehouse is not None:
            wh = await self.catalog.warehouse(warehouse)
            if wh is None or wh.id is None or not self.who.can_access(wh.id):
                raise errors.NotFound(f"No warehouse {warehouse}.")
            ids = [wh.id]
        codes = {w.id: w.code for w in await self.catalog.warehouses(None)}
        return [
            await self._budget_public(b, codes.get(b.warehouse_id, "?"))
            for b in await self.repo.budget_listing(ids, month)
        ]

    async def _budget_public(self, b: PurchaseBudget, wh_code: str) -> BudgetPublic:
        start, end = month_bounds(b.month)
        committed = await self.repo.committed(b.warehouse_id, start, end, b.category or None)
        return BudgetPublic(
            warehouse=wh_code,
            month=b.month,
            category=b.category or None,
            amount=b.amount,
            committed=committed,
            remaining=b.amount - committed,
            used=round(float(committed / b.amount), 4) if b.amount else None,
            hard_limit=(b.amount * self.settings.budget_hard_limit).quantize(Decimal("0.001")),
        )

    # --- the printable PO ---
    async def print_html(self, number: str) -> str:
        po, wh = await self.po(number)
        public = await self.public(po)
        supplier = await self.repo.supplier(po.supplier_id)
        assert supplier is not None
        return render_po(
            public,
            supplier,
            wh,
            code128_svg(public.number, height_mm=13, module_mm=0.33, human_readable=False),
        )


def po_event(po: POPublic, event: str) -> dict[str, Any]:
    """The live stream's message for a PO's status change."""
    return {
        "type": "purchase_order",
        "event": event,
        "warehouse": po.warehouse,
        "number": po.number,
        "supplier": po.supplier,
        "status": po.status,
        "total": float(po.total),
        "lines": [
            {"sku": ln.sku, "qty": float(ln.qty), "received": float(ln.received)} for ln in po.lines
        ],
    }


class PurchasingFlow:
    """A PO change in its own transaction, published on the live stream after the commit."""

    def __init__(self, db: Database, publish: Publish, who: Principal, settings: Settings) -> None:
        self.db = db
        self.publish = publish
        self.who = who
        self.settings = settings

    async def _run(
        self, event: str, op: Callable[[PurchasingService], Awaitable[POPublic]]
    ) -> POPublic:
        async with self.db.session(write=True) as session:
            out = await op(
                PurchasingService(PurchasingRepository(session), self.who, self.settings)
            )
        try:
            await self.publish([po_event(out, event)])
        except Exception:  # the PO is committed; subscribers re-read it
            log.exception("publishing %s of %s failed", event, out.number)
        return out

    async def create(self, data: POCreate) -> POPublic:
        return await self._run("created", lambda s: s.create(data))

    async def confirm(self, number: str, data: ConfirmIn) -> POPublic:
        return await self._run("confirmed", lambda s: s.confirm(number, data))

    async def cancel(self, number: str) -> POPublic:
        return await self._run("cancelled", lambda s: s.cancel(number))

    async def close(self, number: str) -> POPublic:
        return await self._run("closed", lambda s: s.close(number))


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _d(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def render_po(po: POPublic, supplier: Supplier, wh: Warehouse, svg: str) -> str:
    """Print-ready HTML (A4, one page per ~25 lines, the number as a Code128 barcode)."""
    rows = "\n".join(
        f"<tr><td class=n>{ln.line_no}</td><td class=k>{_esc(ln.sku)}</td><td>{_esc(ln.name)}</td>"
        f"<td class=n>{_esc(_fmt(ln.qty))}</td><td class=n>{_esc(_money(ln.unit_price))}</td>"
        f"<td class=n>{_esc(_money(ln.amount))}</td><td class=k>{_d(ln.expected_date)}</td></tr>"
        for ln in po.lines
    )
    override = ""
    if po.qualification_override is not None:
        o = po.qualification_override
        override = (
            f"<p class=warn>Qualification override by {_esc(o.by)} on {_d(o.at)}: "
            f"{_esc(o.reason)}</p>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{_esc(po.number)} · purchase order</title>
<style>
  @page {{ size: A4; margin: 16mm 14mm; }}
  * {{ box-sizing: border-box; }}
  body {{ font: 11pt/1.4 "Noto Sans", "Noto Sans CJK SC", Arial, sans-serif; color: #111;
         margin: 0 auto; max-width: 182mm; padding: 8mm 0; }}
  header {{ display: flex; justify-content: space-between; align-items: flex-start;
           border-bottom: 2px solid #111; padding-bottom: 4mm; margin-bottom: 5mm; }}
  h1 {{ font-size: 20pt; margin: 0 0 1mm; letter-spacing: .02em; }}
  .sub {{ color: #444; }}
  .code {{ text-align: center; }}
  .code svg {{ display: block; margin: 0 auto; }}  /* natural size: its mm are exact */
  .code .num {{ font: 600 12pt/1 "Noto Sans Mono", monospace; letter-spacing: .12em;
               margin-top: 1mm; }}
  .parties {{ display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; margin-bottom: 5mm; }}
  .parties h2 {{ font-size: 9pt; text-transform: uppercase; color: #555; margin: 0 0 1mm; }}
  .parties p {{ margin: 0; }}
  dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .5mm 4mm; margin: 0; }}
  dt {{ color: #555; }} dd {{ margin: 0; }}
  table {{ width: 100%; border-collapse: collapse; margin-top: 3mm; }}
  th, td {{ border-bottom: 1px solid #bbb; padding: 1.5mm 2mm; text-align: left;
           vertical-align: top; }}
  th {{ font-size: 9pt; text-transform: uppercase; color: #333; border-bottom: 1.5px solid #111; }}
  td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
  td.k {{ white-space: nowrap; }}  /* SKUs and dates never break at their hyphens */
  tfoot td {{ border-bottom: none; font-weight: 700; }}
  tr {{ page-break-inside: avoid; }}
  .warn {{ border: 1px solid #b45309; color: #7c2d12; padding: 2mm 3mm; }}
  .sign {{ display: grid; grid-template-columns: 1fr 1fr; gap: 12mm; margin-top: 16mm; }}
  .sign div {{ border-top: 1px solid #111; padding-top: 1mm; color: #555; font-size: 9pt; }}
  @media screen {{ body {{ padding: 10mm; background: #fff; }} }}
</style></head>
<body>
<header>
  <div>
    <h1>Purchase order</h1>
    <div class=sub>{_esc(po.status)} · {_d(po.confirmed_at or po.created_at)}</div>
  </div>
  <div class=code>{svg}<div class=num>{_esc(po.number)}</div></div>
</header>
<section class=parties>
  <div>
    <h2>Supplier</h2>
    <p><strong>{_esc(supplier.name)}</strong> ({_esc(supplier.code)})</p>
    <p>{_esc(supplier.address or "")}</p>
    <p>{_esc(supplier.email or "")} {_esc(supplier.phone or "")}</p>
  </div>
  <div>
    <h2>Deliver to</h2>
    <p><strong>{_esc(wh.name)}</strong> ({_esc(wh.code)})</p>
    <dl>
      <dt>Ordered</dt><dd>{_d(po.confirmed_at or po.created_at)}</dd>
      <dt>Expected</dt><dd>{_d(po.expected_date)}</dd>
      <dt>Payment</dt><dd>{_esc(supplier.payment_terms or "—")}</dd>
      <dt>Currency</dt><dd>{_esc(po.currency)}</dd>
    </dl>
  </div>
</section>
{override}
<table>
  <thead><tr><th class=n>#</th><th>SKU</th><th>Item</th><th class=n>Qty</th>
  <th class=n>Unit price</th><th class=n>Amount</th><th>Expected</th></tr></thead>
  <tbody>
{rows}
  </tbody>
  <tfoot><tr><td colspan=5 class=n>Total ({_esc(po.currency)})</td>
  <td class=n>{_esc(_money(po.total))}</td><td></td></tr></tfoot>
</table>
{f"<p>{_esc(po.note)}</p>" if po.note else ""}
<p class=sub>Please quote {_esc(po.number)} on the delivery note and label each pallet with
an SSCC; scan-ready GS1-128 labels (GTIN, lot, expiry, quantity) speed up receiving.</p>
<section class=sign><div>Buyer</div><div>Supplier (accepted)</div></section>
</body></html>
"""
