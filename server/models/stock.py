"""The ledger (``stock_move``), its head counter and the ``stock_quant`` projection."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, String, Text, func
from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field


class MoveKind(StrEnum):
    receive = "receive"
    pick = "pick"
    count = "count"  # type: ignore[assignment]  # shadows str.count; harmless for an enum
    transfer = "transfer"
    adjust = "adjust"


class StockMove(SQLModel, table=True):
    """One append-only ledger row: ``qty`` of a product (and lot) from one location to another.

    ``seq`` is assigned in commit order, gap-free, under the ledger head's lock.
    ``from_balance``/``to_balance`` are the two quants' quantities right after this move.
    """

    __tablename__ = "stock_move"
    __table_args__ = (Index("ix_stock_move_warehouse_id", "warehouse_id", "seq"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_id: str = Field(max_length=36, unique=True)
    kind: MoveKind = Field(sa_type=String(10))
    warehouse_id: int = Field(foreign_key="warehouse.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    qty: Decimal = qty_field()
    from_location_id: int = Field(foreign_key="location.id")
    to_location_id: int = Field(foreign_key="location.id")
    from_balance: Decimal = qty_field()
    to_balance: Decimal = qty_field()
    reference: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=200)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    device_id: int | None = Field(default=None, foreign_key="device.id")
    scanned_at: datetime | None = ts_field(nullable=True)
    applied_at: datetime = ts_field()


class StockQuant(SQLModel, table=True):
    """Quantity on hand per (product, location, lot): a projection of the ledger."""

    __tablename__ = "stock_quant"
    __table_args__ = (
        Index(
            "uq_quant_key",
            "product_id",
            "location_id",
            func.coalesce(Column("lot_id"), 0),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id", index=True)
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    qty: Decimal = qty_field()
    updated_seq: int = Field(default=0, sa_type=BigInteger)


class LedgerHead(SQLModel, table=True):
    """A single row holding the last assigned ``seq``; writers lock it, so seq follows commits."""

    __tablename__ = "ledger_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)


class PostingCap(SQLModel, table=True):
    """How much the postings under one cap key (a document line) have moved in all; written
    by the ledger writer in the transaction of the moves it counts (``ledger.service.Cap``)."""

    __tablename__ = "posting_cap"

    key: str = Field(primary_key=True, max_length=128)
    used: Decimal = qty_field(default=Decimal(0))
    updated_seq: int = Field(default=0, sa_type=BigInteger)


class ScanEvent(SQLModel, table=True):
    """The answer given to each applied ``event_id``, replayed verbatim to duplicates."""

    __tablename__ = "scan_event"

    event_id: str = Field(primary_key=True, max_length=36)
    seq: int | None = Field(default=None, sa_type=BigInteger)
    result: str = Field(sa_type=Text)
    applied_at: datetime = ts_field()
