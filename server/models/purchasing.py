"""Inbound (进): suppliers with their contacts, qualification documents and price lists;
purchase orders and monthly purchasing budgets; receipts (receiving sessions at a dock),
their scans and quality checks.

Stock itself changes only through the ledger. A receipt's scans post ``receive`` moves
(supplier -> dock) whose ``reference`` is the receipt's number: what a PO line has received
is the sum of the receive moves of the PO's receipts, read from the ledger, so receiving
twice, at two docks or after a retry, never counts anything twice. Money, like quantities,
is exact: BIGINT thousandths (``qty_field``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field


class Supplier(SQLModel, table=True):
    __tablename__ = "supplier"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    currency: str = Field(default="CNY", max_length=3)
    payment_terms: str | None = Field(default=None, max_length=100)  # "30 days net", …
    lead_time_days: int = 7  # the usual days from order to delivery
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    active: bool = True
    created_at: datetime = ts_field()


class SupplierContact(SQLModel, table=True):
    __tablename__ = "supplier_contact"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)


class SupplierQualification(SQLModel, table=True):
    """A licence or certificate with an expiry date. A supplier one of whose kinds of
    document has expired (its newest copy included) may not be ordered from without a
    supervisor's override."""

    __tablename__ = "supplier_qualification"

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    kind: str = Field(max_length=64)  # "business licence", "ISO 9001", "food safety"…
    number: str | None = Field(default=None, max_length=100)
    issued_on: date | None = None
    expires_on: date
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = ts_field()


class SupplierPrice(SQLModel, table=True):
    """One price break of a supplier for a product: ``unit_price`` from ``min_qty`` up."""

    __tablename__ = "supplier_price"
    __table_args__ = (
        UniqueConstraint("supplier_id", "product_id", "min_qty", name="uq_supplier_price"),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    unit_price: Decimal = qty_field()
    min_qty: Decimal = qty_field(default=Decimal(1))
    lead_time_days: int | None = None  # None: the supplier's
    supplier_sku: str | None = Field(default=None, max_length=64)
    updated_at: datetime = ts_field()


class PurchaseOrderStatus(StrEnum):
    draft = "draft"
    confirmed = "confirmed"  # sent to the supplier; receivable
    partially_received = "partially-received"
    received = "received"  # every line received in full
    closed = "closed"  # closed by hand: what is missing will not come
    cancelled = "cancelled"


RECEIVABLE = frozenset({PurchaseOrderStatus.confirmed, PurchaseOrderStatus.partially_received})


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    status: PurchaseOrderStatus = Field(default=PurchaseOrderStatus.draft, sa_type=String(20))
    currency: str = Field(max_length=3)
    expected_date: date | None = None  # lines without their own date expect this one
    note: str | None = Field(default=None, max_length=500)
    total: Decimal = qty_field(default=Decimal(0))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    confirmed_by: int | None = Field(default=None, foreign_key="app_user.id")
    confirmed_at: datetime | None = ts_field(nullable=True)
    closed_at: datetime | None = ts_field(nullable=True)  # received, closed or cancelled
    # The budget warning given at confirmation, kept for whoever reads the PO later.
    budget_warning: str | None = Field(default=None, max_length=500)
    # A supervisor's override of an expired qualification: who, when and why.
    override_by: int | None = Field(default=None, foreign_key="app_user.id")
    override_at: datetime | None = ts_field(nullable=True)
    override_reason: str | None = Field(default=None, max_length=500)


class PurchaseOrderLine(SQLModel, table=True):
    """One product of a PO. What it has received is not stored here: it is read from the
    ledger (``receive`` moves referencing the PO)."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("po_id", "product_id", name="uq_po_line_product"),)

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    line_no: int
    product_id: int = Field(foreign_key="product.id")
    qty: Decimal = qty_field()
    unit_price: Decimal = qty_field()
    expected_date: date | None = None


class PurchaseOrderSscc(SQLModel, table=True):
    """An advance shipping notice: the pallets (SSCC) the supplier said the PO comes on.
    Scanning one of them opens a receipt against the PO."""

    __tablename__ = "purchase_order_sscc"

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchase_order.id", index=True)
    sscc: str = Field(max_length=18, unique=True)


class PurchaseBudget(SQLModel, table=True):
    """A month's purchasing budget of a warehouse, for every category (``category`` NULL,
    stored as "") or for one category of products."""

    __tablename__ = "purchase_budget"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "month", "category", name="uq_purchase_budget"),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    category: str = Field(default="", max_length=64)  # "": the whole warehouse
    amount: Decimal = qty_field()
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = ts_field()


class ReceiptStatus(StrEnum):
    open = "open"  # receiving: scans post supplier -> dock
    closed = "closed"  # receiving is over; QC and putaway follow
    cancelled = "cancelled"  # closed before anything was received


class Receipt(SQLModel, table=True):
    __tablename__ = "receipt"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    dock_id: int = Field(foreign_key="location.id")
    po_id: int | None = Field(default=None, foreign_key="purchase_order.id", index=True)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    opened_with: str | None = Field(default=None, max_length=64)  # the PO barcode or SSCC
    status: ReceiptStatus = Field(default=ReceiptStatus.open, sa_type=String(10))
    note: str | None = Field(default=None, max_length=500)
    opened_by: int | None = Field(default=None, foreign_key="app_user.id")
    opened_at: datetime = ts_field()
    closed_by: int | None = Field(default=None, foreign_key="app_user.id")
    closed_at: datetime | None = ts_field(nullable=True)


class ReceiptScan(SQLModel, table=True):
    """One applied receiving scan of a receipt, as the ledger applied it (recorded once per
    ``event_id`` after the move committed; a retried scan finds its record)."""

    __tablename__ = "receipt_scan"

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="receipt.id", index=True)
    event_id: str = Field(max_length=36, unique=True)
    seq: int = Field(sa_type=BigInteger)
    product_id: int = Field(foreign_key="product.id")
    lot_number: str | None = Field(default=None, max_length=64)
    expiry: date | None = None
    qty: Decimal = qty_field()
    # What the scan was flagged with: "over_receipt", "unexpected", "short_dated" (comma-separated).
    flags: str = Field(default="", max_length=100)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    received_at: datetime = ts_field()  # when it was scanned (the client's time if given)


class ReceiptQc(SQLModel, table=True):
    """The quality check of one receipt line (product and lot): the rejected quantity moved
    from the dock to the warehouse's quarantine location."""

    __tablename__ = "receipt_qc"
    __table_args__ = (
        UniqueConstraint("receipt_id", "product_id", "lot_key", name="uq_receipt_qc_line"),
    )

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(foreign_key="receipt.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    lot_number: str | None = Field(default=None, max_length=64)
    lot_key: str = Field(default="", max_length=64)  # lot_number or "" (unique per line)
    accepted_qty: Decimal = qty_field()
    rejected_qty: Decimal = qty_field()
    reason: str | None = Field(default=None, max_length=200)
    event_id: str | None = Field(default=None, max_length=36)  # the quarantine posting
    seq: int | None = Field(default=None, sa_type=BigInteger)
    checked_by: int | None = Field(default=None, foreign_key="app_user.id")
    checked_at: datetime = ts_field()
