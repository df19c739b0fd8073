from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from server.models.base import ts_field
from server.models.stock import MoveKind


class Role(StrEnum):
    picker = "picker"
    receiver = "receiver"
    counter = "counter"
    supervisor = "supervisor"
    admin = "admin"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str | None = Field(default=None, max_length=200)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=String(12))
    # None: every warehouse; else the one warehouse this user works in.
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    active: bool = True
    created_at: datetime = ts_field()


class Device(SQLModel, table=True):
    """A fixed scanner, RFID reader or agent: its own API key, bound to one location."""

    __tablename__ = "device"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    location_id: int = Field(foreign_key="location.id")
    scan_type: MoveKind = Field(sa_type=String(10))
    active: bool = True
    created_at: datetime = ts_field()
    last_seen_at: datetime | None = ts_field(nullable=True)
    # Health as the device's agent last reported it (POST /api/devices/health).
    health_state: str | None = Field(default=None, max_length=16)
    health_error: str | None = Field(default=None, max_length=500)
    last_read_at: datetime | None = ts_field(nullable=True)
    outbox_depth: int = 0
    dead_letters: int = 0
    health_at: datetime | None = ts_field(nullable=True)
