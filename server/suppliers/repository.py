"""SQL of suppliers: the master data, price lists, and the figures their scorecards are
computed from (purchase orders, receipts, quality checks and the ledger's receive moves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, or_, select
from sqlmodel import col

from server.kit.repository import SessionRepository
from server.models import (
    Alert,
    MoveKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptQc,
    ReceiptScan,
    ReceiptStatus,
    StockMove,
    Supplier,
    SupplierContact,
    SupplierPrice,
    SupplierQualification,
)


class SuppliersRepository(SessionRepository):
    conflict_message = "That supplier (or price break) already exists."

    async def by_code(self, code: str) -> Supplier | None:
        stmt = select(Supplier).where(col(Supplier.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Supplier]:
        if not ids:
            return {}
        stmt = select(Supplier).where(col(Supplier.id).in_(list(ids)))
        return {s.id: s for s in (await self.session.execute(stmt)).scalars() if s.id}

    async def listing(self, q: str | None, include_inactive: bool, limit: int) -> list[Supplier]:
        stmt = select(Supplier).order_by(col(Supplier.code)).limit(limit)
        if not include_inactive:
            stmt = stmt.where(col(Supplier.active))
        if q:
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    col(Supplier.code).ilike(like, escape="\\"),
                    col(Supplier.name).ilike(like, escape="\\"),
                )
            )
        return list((await self.session.execute(stmt)).scalars())

    async def contacts(self, supplier_id: int) -> list[SupplierContact]:
        stmt = (
            select(SupplierContact)
            .where(col(SupplierContact.supplier_id) == supplier_id)
            .order_by(col(SupplierContact.id))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def contact(self, supplier_id: int, contact_id: int) -> SupplierContact | None:
        c = await self.session.get(SupplierContact, contact_id)
        return c if c is not None and c.supplier_id == supplier_id else None

    async def qualifications(self, supplier_ids: Sequence[int]) -> list[SupplierQualification]:
        if not supplier_ids:
            return []
        stmt = (
            select(SupplierQualification)
            .where(col(SupplierQualification.supplier_id).in_(list(supplier_ids)))
            .order_by(col(SupplierQualification.id))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def all_qualifications(self) -> list[tuple[SupplierQualification, str]]:
        """Every qualification with its supplier's code (for the alert sweep)."""
        stmt = (
            select(SupplierQualification, col(Supplier.code))
            .join(Supplier, col(Supplier.id) == col(SupplierQualification.supplier_id))
            .where(col(Supplier.active))
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def qualification(self, supplier_id: int, qid: int) -> SupplierQualification | None:
        q = await self.session.get(SupplierQualification, qid)
        return q if q is not None and q.supplier_id == supplier_id else None

    async def open_alerts(self, kinds: Sequence[str]) -> list[Alert]:
        stmt = select(Alert).where(col(Alert.open_key).is_not(None), col(Alert.kind).in_(kinds))
        return list((await self.session.execute(stmt)).scalars())

    # --- prices ---
    async def price(self, supplier_id: int, product_id: int, min_qty: Any) -> SupplierPrice | None:
        stmt = select(SupplierPrice).where(
            col(SupplierPrice.supplier_id) == supplier_id,
            col(SupplierPrice.product_id) == product_id,
            col(SupplierPrice.min_qty) == min_qty,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def prices_of_supplier(self, supplier_id: int) -> list[tuple[SupplierPrice, str]]:
        stmt = (
            select(SupplierPrice, col(Product.sku))
            .join(Product, col(Product.id) == col(SupplierPrice.product_id))
            .where(col(SupplierPrice.supplier_id) == supplier_id)
            .order_by(col(Product.sku), col(SupplierPrice.min_qty))
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def prices_of_product(self, product_id: int) -> list[tuple[SupplierPrice, Supplier]]:
        stmt = (
            select(SupplierPrice, Supplier)
            .join(Supplier, col(Supplier.id) == col(SupplierPrice.supplier_id))
            .where(col(SupplierPrice.product_id) == product_id, col(Supplier.active))
            .order_by(col(Supplier.code), col(SupplierPrice.min_qty))
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def delete_prices(self, supplier_id: int, product_id: int, min_qty: Any | None) -> int:
        stmt = delete(SupplierPrice).where(
            col(SupplierPrice.supplier_id) == supplier_id,
            col(SupplierPrice.product_id) == product_id,
        )
        if min_qty is not None:
            stmt = stmt.where(col(SupplierPrice.min_qty) == min_qty)
        result = await self.session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def product(self, sku: str) -> Product | None:
        stmt = select(Product).where(col(Product.sku) == sku)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # --- what scorecards are computed from ---
    async def orders(self, supplier_ids: Sequence[int]) -> list[PurchaseOrder]:
        stmt = select(PurchaseOrder).where(
            col(PurchaseOrder.supplier_id).in_(list(supplier_ids)),
            col(PurchaseOrder.status).not_in(
                [PurchaseOrderStatus.draft, PurchaseOrderStatus.cancelled]
            ),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def order_lines(self, po_ids: Sequence[int]) -> list[PurchaseOrderLine]:
        if not po_ids:
            return []
        stmt = select(PurchaseOrderLine).where(col(PurchaseOrderLine.po_id).in_(list(po_ids)))
        return list((await self.session.execute(stmt)).scalars())

    async def received_by_po(self, po_ids: Sequence[int]) -> list[Row[Any]]:
        """Received quantity per (PO, product): the receive moves of the POs' receipts."""
        if not po_ids:
            return []
        stmt: Any = (
            select(
                col(Receipt.po_id),
                col(StockMove.product_id),
                func.sum(col(StockMove.qty)).label("qty"),
            )
            .join(Receipt, col(Receipt.number) == col(StockMove.reference))
            .where(
                col(Receipt.po_id).in_(list(po_ids)),
                col(StockMove.kind) == MoveKind.receive,
            )
            .group_by(col(Receipt.po_id), col(StockMove.product_id))
        )
        return list(await self.session.execute(stmt))

    async def closed_receipts(self, supplier_ids: Sequence[int]) -> list[Receipt]:
        stmt = select(Receipt).where(
            col(Receipt.supplier_id).in_(list(supplier_ids)),
            col(Receipt.status) == ReceiptStatus.closed,
        )
        return list((await self.session.execute(stmt)).scalars())

    async def receipt_deliveries(self, receipt_ids: Sequence[int]) -> list[Row[Any]]:
        """Per (receipt, product): quantity received and when it first arrived."""
        if not receipt_ids:
            return []
        stmt: Any = (
            select(
                col(ReceiptScan.receipt_id),
                col(ReceiptScan.product_id),
                func.sum(col(ReceiptScan.qty)).label("qty"),
                func.min(col(ReceiptScan.received_at)).label("first_at"),
            )
            .where(col(ReceiptScan.receipt_id).in_(list(receipt_ids)))
            .group_by(col(ReceiptScan.receipt_id), col(ReceiptScan.product_id))
        )
        return list(await self.session.execute(stmt))

    async def rejected(self, receipt_ids: Sequence[int]) -> list[Row[Any]]:
        if not receipt_ids:
            return []
        stmt: Any = (
            select(col(ReceiptQc.receipt_id), func.sum(col(ReceiptQc.rejected_qty)).label("qty"))
            .where(col(ReceiptQc.receipt_id).in_(list(receipt_ids)))
            .group_by(col(ReceiptQc.receipt_id))
        )
        return list(await self.session.execute(stmt))
