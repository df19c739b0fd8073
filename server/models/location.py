from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from server.models.base import ts_field


class LocationKind(StrEnum):
    bin = "bin"
    dock = "dock"
    staging = "staging"
    # Physical, but held apart from sellable stock: rejected receipts (QC) and customer
    # returns wait here until they are restocked, sent back or scrapped.
    quarantine = "quarantine"
    returns = "returns"
    # Virtual locations: the other side of every move that enters or leaves the warehouse.
    supplier = "supplier"
    customer = "customer"
    inventory_loss = "inventory-loss"
    scrap = "scrap"
    # Goods shipped from this warehouse to another and not yet received there.
    in_transit = "in-transit"

    @property
    def is_virtual(self) -> bool:
        return self in VIRTUAL_KINDS


VIRTUAL_KINDS = frozenset(
    {
        LocationKind.supplier,
        LocationKind.customer,
        LocationKind.inventory_loss,
        LocationKind.scrap,
        LocationKind.in_transit,
    }
)


class Location(SQLModel, table=True):
    __tablename__ = "location"

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    code: str = Field(max_length=64, unique=True)
    barcode: str | None = Field(default=None, max_length=128, unique=True)
    name: str | None = Field(default=None, max_length=200)
    zone: str | None = Field(default=None, max_length=32, index=True)  # for zone counts
    kind: LocationKind = Field(default=LocationKind.bin, sa_type=String(20))
    active: bool = True
    created_at: datetime = ts_field()
    # Walking order for pick lists (lower first); None: after, by zone and code.
    pick_sequence: int | None = None
