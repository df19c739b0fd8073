"""SQL of purchase orders and budgets; what a PO has received, read from the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    MoveKind,
    Product,
    PurchaseBudget,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderSscc,
    PurchaseOrderStatus,
    Receipt,
    StockMove,
    Supplier,
    User,
)

# A PO's paperwork carries its number as a Code128 barcode: scanning it resolves to the PO
# (and opens a receipt against it at a dock).
PURCHASE_ORDER_DOCUMENT = DocumentKind(
    "purchase_order",
    "PO-",
    documents_by_number(PurchaseOrder),
    reserved=False,  # a PO counts its receipts' moves: a free receipt may quote its number
)


class PurchasingRepository(SessionRepository):
    conflict_message = "That purchase order (or budget) already exists."

    async def by_number(self, number: str, *, lock: bool = False) -> PurchaseOrder | None:
        stmt = select(PurchaseOrder).where(col(PurchaseOrder.number) == number)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_id(self, po_id: int) -> PurchaseOrder | None:
        return await self.session.get(PurchaseOrder, po_id)

    async def by_sscc(self, sscc: str) -> PurchaseOrder | None:
        stmt = (
            select(PurchaseOrder)
            .join(PurchaseOrderSscc, col(PurchaseOrderSscc.po_id) == col(PurchaseOrder.id))
            .where(col(PurchaseOrderSscc.sscc) == sscc)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def listing(
        self,
        warehouse_ids: Sequence[int] | None,
        supplier_id: int | None,
        status: str | None,
        limit: int,
    ) -> list[PurchaseOrder]:
        stmt = select(PurchaseOrder).order_by(col(PurchaseOrder.id).desc()).limit(limit)
        if warehouse_ids is not None:
            stmt = stmt.where(col(PurchaseOrder.warehouse_id).in_(warehouse_ids))
        if supplier_id is not None:
            stmt = stmt.where(col(PurchaseOrder.supplier_id) == supplier_id)
        if status is not None:
            stmt = stmt.where(col(PurchaseOrder.status) == status)
        return list((await self.session.execute(stmt)).scalars())

    async def lines(self, po_id: int) -> list[PurchaseOrderLine]:
        stmt = (
            select(PurchaseOrderLine)
            .where(col(PurchaseOrderLine.po_id) == po_id)
            .order_by(col(PurchaseOrderLine.line_no))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def delete_lines(self, po_id: int) -> None:
        for line in await self.lines(po_id):
            await self.session.delete(line)
        await self.session.flush()

    async def ssccs(self, po_id: int) -> list[str]:
        stmt = (
            select(col(PurchaseOrderSscc.sscc))
            .where(col(PurchaseOrderSscc.po_id) == po_id)
            .order_by(col(PurchaseOrderSscc.id))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def sscc_taken(self, ssccs: Sequence[str]) -> list[str]:
        stmt = select(col(PurchaseOrderSscc.sscc)).where(col(PurchaseOrderSscc.sscc).in_(ssccs))
        return list((await self.session.execute(stmt)).scalars())

    async def receipts(self, po_id: int) -> list[Receipt]:
        stmt = select(Receipt).where(col(Receipt.po_id) == po_id).order_by(col(Receipt.id))
        return list((await self.session.execute(stmt)).scalars())

    async def received(self, po_id: int) -> dict[int, Decimal]:
        """Per product: what the PO's receipts have posted (receive moves in the ledger)."""
        numbers = select(col(Receipt.number)).where(col(Receipt.po_id) == po_id)
        stmt: Any = (
            select(col(StockMove.product_id), func.sum(col(StockMove.qty)))
            .where(
                col(StockMove.kind) == MoveKind.receive,
                col(StockMove.reference).in_(numbers.scalar_subquery()),
            )
            .group_by(col(StockMove.product_id))
        )
        return {pid: qty for pid, qty in await self.session.execute(stmt)}

    async def products(self, ids: Sequence[int]) -> dict[int, Product]:
        if not ids:
            return {}
        stmt = select(Product).where(col(Product.id).in_(list(ids)))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars() if p.id}

    async def product(self, sku: str) -> Product | None:
        stmt = select(Product).where(col(Product.sku) == sku)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def supplier(self, supplier_id: int) -> Supplier | None:
        return await self.session.get(Supplier, supplier_id)

    async def username(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        user = await self.session.get(User, user_id)
        return user.username if user is not None else None

    # --- budgets ---
    async def budgets(
        self, warehouse_id: int, month: str, *, lock: bool = False
    ) -> list[PurchaseBudget]:
        """Every budget of the warehouse's month; locked: confirmations serialise on them."""
        stmt = select(PurchaseBudget).where(
            col(PurchaseBudget.warehouse_id) == warehouse_id,
            col(PurchaseBudget.month) == month,
        )
        if lock:
            stmt = stmt.with_for_update()
        return list(
            (await self.session.execute(stmt.order_by(col(PurchaseBudget.category)))).scalars()
        )

    async def budget_listing(
        self, warehouse_ids: Sequence[int] | None, month: str | None
    ) -> list[PurchaseBudget]:
        stmt = select(PurchaseBudget).order_by(
            col(PurchaseBudget.month),
            col(PurchaseBudget.warehouse_id),
            col(PurchaseBudget.category),
        )
        if warehouse_ids is not None:
            stmt = stmt.where(col(PurchaseBudget.warehouse_id).in_(warehouse_ids))
        if month is not None:
            stmt = stmt.where(col(PurchaseBudget.month) == month)
        return list((await self.session.execute(stmt)).scalars())

    async def committed(
        self, warehouse_id: int, start: datetime, end: datetime, category: str | None
    ) -> Decimal:
        """The amount of the warehouse's POs confirmed in [start, end) (not cancelled), of
        the lines whose product is in ``category`` (None: every line)."""
        stmt: Any = (
            select(col(PurchaseOrderLine.qty), col(PurchaseOrderLine.unit_price))
            .join(PurchaseOrder, col(PurchaseOrder.id) == col(PurchaseOrderLine.po_id))
            .where(
                col(PurchaseOrder.warehouse_id) == warehouse_id,
                col(PurchaseOrder.confirmed_at) >= start,
                col(PurchaseOrder.confirmed_at) < end,
                col(PurchaseOrder.status).not_in(
                    [PurchaseOrderStatus.draft, PurchaseOrderStatus.cancelled]
                ),
            )
        )
        if category is not None:
            stmt = stmt.join(Product, col(Product.id) == col(PurchaseOrderLine.product_id)).where(
                col(Product.category) == category
            )
        total = Decimal(0)
        for qty, price in await self.session.execute(stmt):
            total += line_amount(qty, price)
        return total


def line_amount(qty: Decimal, price: Decimal) -> Decimal:
    return (qty * price).quantize(Decimal("0.001"))
