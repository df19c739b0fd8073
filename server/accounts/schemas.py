"""Users and devices as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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


HealthState = Literal["connected", "disconnected", "error"]


class DeviceHealthIn(BaseModel):
    """What a dock agent reports about one of its devices."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    state: HealthState = Field(description="Is the agent connected to the scanner or reader?")
    last_read_at: datetime | None = Field(default=None, description="The device's last read.")
    error: str | None = Field(default=None, max_length=500, description="The last error, if any.")
    outbox: int = Field(default=0, ge=0, description="Reads waiting in the agent's outbox.")
    dead_letters: int = Field(default=0, ge=0, description="Reads the server rejected.")


class DeviceHealth(BaseModel):
    state: HealthState
    last_read_at: datetime | None
    error: str | None
    outbox: int
    dead_letters: int
    reported_at: datetime


class DevicePublic(BaseModel):
    name: str
    warehouse: str
    location: str
    type: MoveKind
    key_prefix: str
    active: bool
    last_seen_at: datetime | None
    online: bool = Field(
        default=False, description="Its agent reported within the last health interval."
    )
    health: DeviceHealth | None = None


class DeviceCreated(DevicePublic):
    key: str = Field(description="Shown once: store it in the device or agent configuration.")
