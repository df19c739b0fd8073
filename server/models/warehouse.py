from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from server.models.base import ts_field


class Warehouse(SQLModel, table=True):
    __tablename__ = "warehouse"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = ts_field()
