"""Outbound (销): customers, sales orders and their reservations, pick lists, returns.

Stock itself changes only through the ledger (picks bin -> staging, shipping staging ->
customer, returns customer -> returns location); these tables say who ordered what, what is
promised to whom (reservations), who picked it where, and what came back. Money, like
quantities, is exact: BIGINT thousandths (``qty_field``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field
from server.models.location import LocationKind

# Stock that can be promised to a customer: on the shelves. Docks (not put away yet),
# staging (already picked), quarantine and returns (held apart) are physical but not
# sellable; virtual locations hold nothing.
SELLABLE_KINDS = frozenset({LocationKind.bin})


class Customer(SQLModel, table=True):
    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    tax_id: str | None = Field(default=None, max_length=50)
    # A label for the customer's price tier (retail, wholesale, key account…), shown on
    # orders; prices themselves are given on each order line.
    price_level: str | None = Field(default=None, max_length=20)
    # None: no limit. Exposure (receivables + open orders) above it holds an order.
    credit_limit: Decimal | None = qty_field(default=None, nullable=True)
    payment_terms_days: int = 30
    active: bool = True
    created_at: datetime = ts_field()


class CustomerContact(SQLModel, table=True):
    __tablename__ = "customer_contact"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    created_at: datetime = ts_field()


class CustomerAddress(SQLModel, table=True):
    __tablename__ = "customer_address"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    label: str = Field(default="main", max_length=50)
    line1: str = Field(max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="CN", max_length=2)
    is_default: bool = False
    created_at: datetime = ts_field()


class CustomerNote(SQLModel, table=True):
    __tablename__ = "customer_note"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(default="note", max_length=10)  # note | feedback
    text: str = Field(sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()


class CustomerPayment(SQLModel, table=True):
    """Money received from a customer: lowers the outstanding receivables."""

    __tablename__ = "customer_payment"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    amount: Decimal = qty_field()
    reference: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)
    received_at: datetime = ts_field()
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class SalesOrderStatus(StrEnum):
    draft = "draft"
    credit_hold = "credit_hold"  # over the credit limit: waits for a supervisor's release
    confirmed = "confirmed"  # accepted, part of it back-ordered (not all reserved)
    reserved = "reserved"  # every line reserved
    partially_picked = "partially_picked"
    picked = "picked"  # everything allocated was picked (or reported short)
    packed = "packed"  # packages recorded
    # A back-order order shipped what it had; the rest waits for stock (reserve, pick,
    # pack and ship it again). Invoiced for what was shipped.
    backordered = "backordered"
    shipped = "shipped"  # left the warehouse in full: invoiced (a receivable)
    delivered = "delivered"  # the customer signed for it
    cancelled = "cancelled"


# Accepted orders not shipped yet: they hold reservations and count as open orders.
RESERVING_STATUSES = frozenset(
    {
        SalesOrderStatus.confirmed,
        SalesOrderStatus.reserved,
        SalesOrderStatus.partially_picked,
        SalesOrderStatus.picked,
        SalesOrderStatus.packed,
        SalesOrderStatus.backordered,
    }
)


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    status: SalesOrderStatus = Field(default=SalesOrderStatus.draft, sa_type=String(16))
    # What cannot be reserved at confirmation is back-ordered (True) or refused (False).
    backorder: bool = False
    customer_reference: str | None = Field(default=None, max_length=100)  # their PO number
    ship_to: str | None = Field(default=None, max_length=1000)  # the address, as printed
    promised_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    total: Decimal = qty_field(default=Decimal(0))  # ordered qty x price
    invoiced_amount: Decimal = qty_field(default=Decimal(0))  # shipped qty x price
    shipments: int = 0  # shipments made (a back-order order ships more than once)
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    signed_by: str | None = Field(default=None, max_length=200)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    confirmed_at: datetime | None = ts_field(nullable=True)
    packed_at: datetime | None = ts_field(nullable=True)
    shipped_at: datetime | None = ts_field(nullable=True)
    delivered_at: datetime | None = ts_field(nullable=True)
    cancelled_at: datetime | None = ts_field(nullable=True)


class SalesOrderLine(SQLModel, table=True):
    """One product of an order. ``allotted_qty`` was reserved in all (the rest of ``qty`` is
    back-ordered); the open reservation is allotted - picked - short. ``picked_qty`` and
    ``shipped_qty`` mirror the ledger (pick line caps, moves referencing the order)."""

    __tablename__ = "sales_order_line"
    __table_args__ = (UniqueConstraint("order_id", "product_id", name="uq_sales_order_product"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_no: int = 1
    product_id: int = Field(foreign_key="product.id")
    qty: Decimal = qty_field()
    unit_price: Decimal = qty_field(default=Decimal(0))
    allotted_qty: Decimal = qty_field(default=Decimal(0))
    picked_qty: Decimal = qty_field(default=Decimal(0))
    short_qty: Decimal = qty_field(default=Decimal(0))  # not found on the shelves: released
    shipped_qty: Decimal = qty_field(default=Decimal(0))
    returned_qty: Decimal = qty_field(default=Decimal(0))


class Reservation(SQLModel, table=True):
    """Stock promised to an order line, per warehouse and product. Available to promise =
    sellable on hand - the open reservations; confirming an order checks and writes this
    under a per-warehouse lock, so concurrent confirmations never promise a unit twice."""

    __tablename__ = "reservation"
    __table_args__ = (Index("ix_reservation_wh_product", "warehouse_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    line_id: int = Field(foreign_key="sales_order_line.id", unique=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    product_id: int = Field(foreign_key="product.id")
    qty: Decimal = qty_field()
    created_at: datetime = ts_field()


class SalesOrderEvent(SQLModel, table=True):
    """An order's status history: every change, who made it and why."""

    __tablename__ = "sales_order_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=500)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = ts_field()


class CreditRelease(SQLModel, table=True):
    """A supervisor let an order over the customer's credit limit through (audited)."""

    __tablename__ = "credit_release"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    stage: str = Field(default="confirm", max_length=8)  # confirm | ship
    released_by: int = Field(foreign_key="app_user.id")
    reason: str = Field(max_length=500)
    exposure: Decimal = qty_field()  # receivables + open orders + this one, at release
    credit_limit: Decimal = qty_field()
    released_at: datetime = ts_field()


class PickListStatus(StrEnum):
    open = "open"
    picked = "picked"  # every line picked, reported short or cancelled
    cancelled = "cancelled"


class PickList(SQLModel, table=True):
    __tablename__ = "pick_list"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    staging_id: int = Field(foreign_key="location.id")
    status: PickListStatus = Field(default=PickListStatus.open, sa_type=String(10))
    assigned_to: int | None = Field(default=None, foreign_key="app_user.id")
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    picked_at: datetime | None = ts_field(nullable=True)


class PickListOrder(SQLModel, table=True):
    """The orders a pick list (a wave) was generated from."""

    __tablename__ = "pick_list_order"
    __table_args__ = (UniqueConstraint("pick_list_id", "order_id", name="uq_pick_list_order"),)

    id: int | None = Field(default=None, primary_key=True)
    pick_list_id: int = Field(foreign_key="pick_list.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)


class PickLineStatus(StrEnum):
    open = "open"
    picked = "picked"
    short = "short"  # closed below its quantity: the rest was re-allocated or released
    cancelled = "cancelled"  # its order was cancelled, or a substitute lot took all of it


class PickLine(SQLModel, table=True):
    """Take ``qty`` of a product (and lot) from one location for one order line: allocated
    FEFO/FIFO, listed in walking order (``seq``). Its picks are capped in the ledger writer
    under the key ``<pick list>:<line id>``; ``picked_qty`` mirrors that cap's usage."""

    __tablename__ = "pick_line"

    id: int | None = Field(default=None, primary_key=True)
    pick_list_id: int = Field(foreign_key="pick_list.id", index=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    order_line_id: int = Field(foreign_key="sales_order_line.id")
    seq: int = 0
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    qty: Decimal = qty_field()
    picked_qty: Decimal = qty_field(default=Decimal(0))
    status: PickLineStatus = Field(default=PickLineStatus.open, sa_type=String(10))
    short_reason: str | None = Field(default=None, max_length=200)
    # A line split off another when the picker took an allowed substitute lot.
    substitute_for: int | None = Field(default=None, foreign_key="pick_line.id")


class Package(SQLModel, table=True):
    """One parcel or pallet of a packed order, optionally labelled with an SSCC."""

    __tablename__ = "package"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    no: int = 1
    sscc: str | None = Field(default=None, max_length=18, unique=True)
    weight_kg: Decimal | None = qty_field(default=None, nullable=True)
    packed_by: int | None = Field(default=None, foreign_key="app_user.id")
    packed_at: datetime = ts_field()


class ReturnReason(StrEnum):
    damaged = "damaged"
    defective = "defective"
    wrong_item = "wrong_item"
    expired = "expired"
    changed_mind = "changed_mind"
    not_as_described = "not_as_described"
    other = "other"


class ReturnStatus(StrEnum):
    authorized = "authorized"  # the customer may send it back
    received = "received"  # something arrived at the returns location
    closed = "closed"  # everything received was restocked or scrapped
    cancelled = "cancelled"


class ReturnAuthorization(SQLModel, table=True):
    """An RMA: goods of a shipped order coming back, held at the warehouse's returns
    location, then restocked or scrapped. The credit (price x received) lowers the
    customer's receivables."""

    __tablename__ = "return_authorization"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    status: ReturnStatus = Field(default=ReturnStatus.authorized, sa_type=String(10))
    note: str | None = Field(default=None, max_length=500)
    credit_amount: Decimal = qty_field(default=Decimal(0))
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    closed_at: datetime | None = ts_field(nullable=True)


class ReturnLine(SQLModel, table=True):
    __tablename__ = "return_line"
    __table_args__ = (UniqueConstraint("return_id", "product_id", name="uq_return_product"),)

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="return_authorization.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    reason: ReturnReason = Field(sa_type=String(16))
    qty: Decimal = qty_field()  # authorised
    unit_price: Decimal = qty_field(default=Decimal(0))
    received_qty: Decimal = qty_field(default=Decimal(0))
    restocked_qty: Decimal = qty_field(default=Decimal(0))
    scrapped_qty: Decimal = qty_field(default=Decimal(0))
