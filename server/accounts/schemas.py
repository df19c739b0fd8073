"""Users and devices as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from server.models import MoveKind, Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@\-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    full_name: str | None = Field(default=None, max_length=200)
    warehouse: str | None = Field(default=None, description="Bind to one warehouse; none: all.")


class UserPublic(BaseModel):
    username: str
    full_name: str | None
    role: Role
    warehouse: str | None
    active: bool


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    location: str = Field(min_length=1, max_length=128)
    type: MoveKind = MoveKind.receive


class DevicePublic(BaseModel):
    name: str
    warehouse: str
    location: str
    type: MoveKind
    key_prefix: str
    active: bool
    last_seen_at: datetime | None


class DeviceCreated(DevicePublic):
    key: str = Field(description="Shown once: store it in the device or agent configuration.")
