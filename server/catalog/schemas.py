"""Warehouses, locations and products: the SQLModel families of the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.kit.quantity import Qty
from server.models import AbcClass, BarcodeKind, LocationKind, PickStrategy, Tracking

CODE = r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$"  # no ':' (reserved for virtual locations)


def _not_null(value: Any) -> Any:
    """In a PATCH, leave a field out to keep it; ``null`` cannot blank a required column."""
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


class WarehouseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)


class WarehouseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=200)

    _name_not_null = field_validator("name")(_not_null)


class WarehousePublic(BaseModel):
    code: str
    name: str


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=64, pattern=CODE)
    warehouse: str = Field(min_length=1, max_length=32)
    kind: LocationKind = LocationKind.bin
    barcode: str | None = Field(default=None, min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    zone: str | None = Field(default=None, min_length=1, max_length=32)
    pick_sequence: int | None = Field(default=None, ge=0)  # walking order for pick lists


class LocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    barcode: str | None = Field(default=None, min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    zone: str | None = Field(default=None, max_length=32)
    active: bool | None = None
    pick_sequence: int | None = Field(default=None, ge=0)  # null: after those with one

    _active_not_null = field_validator("active")(_not_null)


class LocationPublic(BaseModel):
    code: str
    warehouse: str
    kind: LocationKind
    barcode: str | None
    name: str | None
    zone: str | None
    active: bool
    virtual: bool
    pick_sequence: int | None = None


class BarcodePublic(BaseModel):
    code: str
    kind: BarcodeKind
    gtin14: str | None


class ProductBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=300)
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    tracking: Tracking = Tracking.none
    safety_stock: Decimal = Field(
        default=Decimal(0), ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )
    max_stock: Decimal | None = Field(
        default=None, ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )
    unit_cost: Decimal = Field(
        default=Decimal(0), ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )
    abc_class: AbcClass | None = None
    allow_negative: bool = False
    # Inbound: the fixed bin putaway suggests first (a location code), the purchasing
    # category (budgets per category), the shortest remaining shelf life accepted at
    # receiving in days (None: JXC_MIN_SHELF_LIFE_DAYS).
    default_location: str | None = Field(default=None, min_length=1, max_length=128)
    category: str | None = Field(default=None, min_length=1, max_length=64)
    min_shelf_life_days: int | None = Field(default=None, ge=0, le=36500)
    pick_strategy: PickStrategy = PickStrategy.fefo  # which lot a pick list takes first


class ProductCreate(ProductBase):
    sku: str = Field(min_length=1, max_length=64, pattern=CODE)
    barcodes: list[str] = Field(default_factory=list, max_length=50)


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    tracking: Tracking | None = None
    safety_stock: Decimal | None = Field(
        default=None, ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )
    max_stock: Decimal | None = Field(
        default=None, ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )  # null removes the maximum
    unit_cost: Decimal | None = Field(
        default=None, ge=0, allow_inf_nan=False, max_digits=15, decimal_places=3
    )
    abc_class: AbcClass | None = None  # null removes the class
    allow_negative: bool | None = None
    active: bool | None = None
    default_location: str | None = Field(default=None, min_length=1, max_length=128)  # null: none
    category: str | None = Field(default=None, min_length=1, max_length=64)  # null: none
    min_shelf_life_days: int | None = Field(default=None, ge=0, le=36500)  # null: the default
    pick_strategy: PickStrategy | None = None

    _no_nulls = field_validator(
        "name",
        "unit",
        "tracking",
        "safety_stock",
        "unit_cost",
        "allow_negative",
        "active",
        "pick_strategy",
    )(_not_null)


class BarcodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=128)


class ProductPublic(BaseModel):
    sku: str
    name: str
    unit: str
    tracking: Tracking
    safety_stock: Qty
    max_stock: Qty | None
    unit_cost: Qty
    abc_class: AbcClass | None
    allow_negative: bool
    active: bool
    barcodes: list[BarcodePublic]
    default_location: str | None = None
    category: str | None = None
    min_shelf_life_days: int | None = None
    pick_strategy: PickStrategy = PickStrategy.fefo
