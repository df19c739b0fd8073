from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field


class Tracking(StrEnum):
    none = "none"
    lot = "lot"
    serial = "serial"


class BarcodeKind(StrEnum):
    ean8 = "ean8"
    ean13 = "ean13"
    upc_a = "upc-a"
    gtin14 = "gtin14"
    internal = "internal"


class AbcClass(StrEnum):
    """Cycle-count class: A items are counted most often (see ``server/counts``)."""

    a = "A"
    b = "B"
    c = "C"


class PickStrategy(StrEnum):
    """Which lot is picked first: first expiry (FEFO), or first in (FIFO, by lot age)."""

    fefo = "fefo"
    fifo = "fifo"


class Product(SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    unit: str = Field(default="pcs", max_length=16)
    tracking: Tracking = Field(default=Tracking.none, sa_type=String(10))
    safety_stock: Decimal = qty_field(default=Decimal(0))
    # Overstock above this (per warehouse); None: no maximum.
    max_stock: Decimal | None = qty_field(default=None, nullable=True)
    # Value of one unit (count variance value, adjustment approval), three places.
    unit_cost: Decimal = qty_field(default=Decimal(0))
    abc_class: AbcClass | None = Field(default=None, sa_type=String(1))
    allow_negative: bool = False
    active: bool = True
    created_at: datetime = ts_field()
    # Inbound: the fixed bin putaway suggests first, the purchasing category (budgets per
    # category) and the shortest remaining shelf life accepted at receiving (None: the
    # JXC_MIN_SHELF_LIFE_DAYS default).
    default_location_id: int | None = Field(default=None, foreign_key="location.id")
    category: str | None = Field(default=None, max_length=64)
    min_shelf_life_days: int | None = None
    pick_strategy: PickStrategy = Field(default=PickStrategy.fefo, sa_type=String(4))


class ProductBarcode(SQLModel, table=True):
    """Every code that identifies a product; GTINs also stored as GTIN-14 for equivalence."""

    __tablename__ = "product_barcode"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    code: str = Field(max_length=128, unique=True)
    kind: BarcodeKind = Field(sa_type=String(10))
    gtin14: str | None = Field(default=None, max_length=14, unique=True)


class Lot(SQLModel, table=True):
    """A lot (or, for serial-tracked products, one serial number)."""

    __tablename__ = "lot"
    __table_args__ = (UniqueConstraint("product_id", "number", name="uq_lot_product_number"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    number: str = Field(max_length=64)
    expiry: date | None = None
    created_at: datetime = ts_field()
