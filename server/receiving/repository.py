"""SQL of receipts: the sessions, their scan records and quality checks, what the ledger
holds for them (moves referencing the receipt's number), and putaway's bin look-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from server.codes.repository import documents_by_number
from server.codes.resolver import DocumentKind
from server.kit.repository import SessionRepository
from server.models import (
    Location,
    LocationKind,
    Lot,
    Product,
    Receipt,
    ReceiptQc,
    ReceiptScan,
    ReceiptStatus,
    ScanEvent,
    StockQuant,
    Supplier,
)

# A receipt's number on its paperwork resolves to the receipt.
RECEIPT_DOCUMENT = DocumentKind(
    "receipt",
    "RCV-",
    documents_by_number(Receipt),
)


class ReceivingRepository(SessionRepository):
    conflict_message = "That receipt (or quality check) already exists."

    async def by_number(self, number: str) -> Receipt | None:
        stmt = select(Receipt).where(col(Receipt.number) == number)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def listing(
        self, warehouse_ids: Sequence[int] | None, status: str | None, po_id: int | None
    ) -> list[Receipt]:
        stmt = select(Receipt).order_by(col(Receipt.id).desc()).limit(200)
        if warehouse_ids is not None:
            stmt = stmt.where(col(Receipt.warehouse_id).in_(warehouse_ids))
        if status is not None:
            stmt = stmt.where(col(Receipt.status) == status)
        if po_id is not None:
            stmt = stmt.where(col(Receipt.po_id) == po_id)
        return list((await self.session.execute(stmt)).scalars())

    async def open_receipts(self, po_id: int) -> int:
        stmt = select(func.count()).where(
            col(Receipt.po_id) == po_id, col(Receipt.status) == ReceiptStatus.open
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def location(self, location_id: int) -> Location | None:
        return await self.session.get(Location, location_id)

    async def supplier(self, supplier_id: int | None) -> Supplier | None:
        return await self.session.get(Supplier, supplier_id) if supplier_id else None

    async def product(self, product_id: int) -> Product | None:
        return await self.session.get(Product, product_id)

    async def products(self, ids: Sequence[int]) -> dict[int, Product]:
        if not ids:
            return {}
        stmt = select(Product).where(col(Product.id).in_(list(ids)))
        return {p.id: p for p in (await self.session.execute(stmt)).scalars() if p.id}

    async def applied(self, event_id: str) -> bool:
        """Has the ledger applied this event id (a retried scan)?"""
        stmt = select(exists().where(col(ScanEvent.event_id) == event_id))
        return bool((await self.session.execute(stmt)).scalar())

    async def record_scan(self, values: dict[str, Any]) -> None:
        """Record an applied scan once per event id (a retry finds it recorded)."""
        await self._insert_ignore(ReceiptScan, values, "event_id")

    async def _insert_ignore(self, model: Any, values: dict[str, Any], key: str) -> None:
        dialect = self.session.get_bind().dialect.name
        ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            model.__table__
        )
        await self.session.execute(
            ins.values(**values).on_conflict_do_nothing(index_elements=[key])
        )

    async def scan_flags(self, receipt_id: int) -> list[Row[Any]]:
        stmt = select(
            col(ReceiptScan.product_id), col(ReceiptScan.lot_number), col(ReceiptScan.flags)
        ).where(col(ReceiptScan.receipt_id) == receipt_id, col(ReceiptScan.flags) != "")
        return list(await self.session.execute(stmt))

    async def qcs(self, receipt_id: int) -> list[ReceiptQc]:
        stmt = select(ReceiptQc).where(col(ReceiptQc.receipt_id) == receipt_id)
        return list((await self.session.execute(stmt)).scalars())

    async def qc(self, receipt_id: int, product_id: int, lot: str | None) -> ReceiptQc | None:
        stmt = select(ReceiptQc).where(
            col(ReceiptQc.receipt_id) == receipt_id,
            col(ReceiptQc.product_id) == product_id,
            col(ReceiptQc.lot_key) == (lot or ""),
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def ensure_location(self, warehouse_id: int, code: str, kind: LocationKind) -> Location:
        """The location with this code, created when missing (two callers racing: one row)."""
        await self._insert_ignore(
            Location,
            {
                "warehouse_id": warehouse_id,
                "code": code,
                "kind": kind.value,
                "name": "Quarantine (QC rejects)" if kind == LocationKind.quarantine else None,
                "active": True,
                "created_at": datetime.now(UTC),
            },
            "code",
        )
        stmt = select(Location).where(col(Location.code) == code)
        return (await self.session.execute(stmt)).scalar_one()

    # --- putaway ---
    async def bin(self, location_id: int) -> Location | None:
        loc = await self.session.get(Location, location_id)
        return loc if loc is not None and loc.kind == LocationKind.bin and loc.active else None

    async def bins_holding(
        self, warehouse_id: int, product_id: int, lot_id: int | None
    ) -> list[Location]:
        """Active bins of the warehouse holding the product (that lot, when given), fullest first."""
        stmt = (
            select(Location)
            .join(StockQuant, col(StockQuant.location_id) == col(Location.id))
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.kind) == LocationKind.bin,
                col(Location.active),
                col(StockQuant.product_id) == product_id,
                col(StockQuant.qty) > 0,
            )
            .order_by(col(StockQuant.qty).desc(), col(Location.code))
        )
        if lot_id is not None:
            stmt = stmt.where(col(StockQuant.lot_id) == lot_id)
        return list((await self.session.execute(stmt)).scalars())

    async def empty_bin(self, warehouse_id: int) -> Location | None:
        held = exists().where(
            col(StockQuant.location_id) == col(Location.id), col(StockQuant.qty) != 0
        )
        stmt = (
            select(Location)
            .where(
                col(Location.warehouse_id) == warehouse_id,
                col(Location.kind) == LocationKind.bin,
                col(Location.active),
                ~held,
            )
            .order_by(col(Location.code))
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lot_expiry(self, product_id: int, number: str) -> date | None:
        stmt = select(col(Lot.expiry)).where(
            col(Lot.product_id) == product_id, col(Lot.number) == number
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lot_id(self, product_id: int, number: str | None) -> int | None:
        if number is None:
            return None
        stmt = select(col(Lot.id)).where(
            col(Lot.product_id) == product_id, col(Lot.number) == number
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
