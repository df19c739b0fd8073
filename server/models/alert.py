"""Alert states: one row per time a condition held, raised once and cleared when it ends."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field


class Alert(SQLModel, table=True):
    """``kind`` is an open set (``server/alerts/rules.py`` registers them); the subject is a
    warehouse, product and lot where those apply, or any ``subject`` text (a supplier…)."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    subject: str | None = Field(default=None, max_length=128)
    # The condition's key while the alert is open, NULL once cleared: the database itself
    # refuses a second open alert for one condition (NULLs never collide).
    open_key: str | None = Field(default=None, max_length=200, unique=True)
    message: str = Field(max_length=500)
    value: Decimal | None = qty_field(default=None, nullable=True)
    threshold: Decimal | None = qty_field(default=None, nullable=True)
    raised_at: datetime = ts_field()
    cleared_at: datetime | None = ts_field(nullable=True)
