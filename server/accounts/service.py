"""Users and devices: who may scan, and with which credentials. Used by the API and the CLI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

from server import errors
from server.accounts.repository import AccountsRepository
from server.accounts.schemas import (
    DeviceCreate,
    DeviceCreated,
    DeviceHealth,
    DeviceHealthIn,
    DevicePublic,
    HealthState,
    UserCreate,
    UserPublic,
)
from server.auth.principal import ADMIN_ROLES, CATALOG_ROLES, Principal
from server.auth.security import hash_device_key, hash_password, new_device_key
from server.models import Device, LocationKind, MoveKind, Role, User

# An agent reports every few seconds; a device silent for longer than this is shown offline.
HEALTH_STALE = timedelta(seconds=60)


class AccountsService:
    def __init__(self, repo: AccountsRepository, who: Principal | None) -> None:
        """``who`` is None for the command line, which runs with the operator's authority."""
        self.repo = repo
        self.who = who

    def _require(self, roles: frozenset[Role], action: str) -> None:
        if self.who is not None:
            self.who.check_role(roles, action)

    def _require_warehouse(self, warehouse_id: int | None, code: str | None) -> None:
        """A caller bound to one warehouse grants access to that warehouse only."""
        if self.who is None or self.who.warehouse_id is None:
            return
        if warehouse_id is None:
            raise errors.Forbidden(
                f"{self.who.name} works in one warehouse and cannot grant access to all."
            )
        self.who.check_warehouse(warehouse_id, code or "")

    async def create_user(self, data: UserCreate) -> UserPublic:
        self._require(ADMIN_ROLES, "create users")
        # Hash first, in a thread: argon2 is slow by design, and neither the event loop nor
        # the transaction (a write lock on SQLite) should wait for it.
        password_hash = await asyncio.to_thread(hash_password, data.password)
        if await self.repo.user(data.username):
            raise errors.AlreadyExists(f"User {data.username} already exists.")
        warehouse_id = None
        if data.warehouse:
            wh = await self.repo.warehouse(data.warehouse)
            if wh is None:
                raise errors.NotFound(f"No warehouse {data.warehouse}.")
            warehouse_id = wh.id
        self._require_warehouse(warehouse_id, data.warehouse)
        user = User(
            username=data.username,
            full_name=data.full_name,
            password_hash=password_hash,
            role=data.role,
            warehouse_id=warehouse_id,
        )
        await self.repo.add(user)
        return UserPublic(
            username=user.username,
            full_name=user.full_name,
            role=data.role,
            warehouse=data.warehouse,
            active=True,
        )

    async def list_users(self) -> list[UserPublic]:
        self._require(ADMIN_ROLES, "list users")
        scope = self.who.warehouse_id if self.who else None
        return [
            UserPublic(
                username=u.username,
                full_name=u.full_name,
                role=Role(u.role),
                warehouse=code,
                active=u.active,
            )
            for u, code in await self.repo.users()
            if scope is None or u.warehouse_id == scope
        ]

    async def me(self) -> UserPublic:
        assert self.who is not None
        if self.who.kind != "user":
            raise errors.Forbidden("Devices have no user profile; see GET /api/devices.")
        user = await self.repo.user(self.who.name)
        if user is None:
            raise errors.NotFound("No such user.")
        return UserPublic(
            username=user.username,
            full_name=user.full_name,
            role=Role(user.role),
            warehouse=await self.repo.warehouse_code(user.warehouse_id),
            active=user.active,
        )

    async def create_device(self, data: DeviceCreate) -> DeviceCreated:
        self._require(ADMIN_ROLES, "register devices")
        if await self.repo.device(data.name):
            raise errors.AlreadyExists(f"Device {data.name} already exists.")
        loc = await self.repo.location(data.location)
        if loc is None or loc.id is None:
            raise errors.UnknownLocation(f"No location {data.location}.")
        self._require_warehouse(loc.warehouse_id, None)
        if LocationKind(loc.kind).is_virtual:
            raise errors.InvalidLocation("Bind a device to a physical location, not a virtual one.")
        if data.type == MoveKind.adjust:
            raise errors.Invalid("Adjustments need a person's judgement: a device cannot adjust.")
        key = new_device_key()
        device = Device(
            name=data.name,
            key_hash=hash_device_key(key),
            key_prefix=key[:12],
            warehouse_id=loc.warehouse_id,
            location_id=loc.id,
            scan_type=data.type,
        )
        await self.repo.add(device)
        wh = await self.repo.warehouse_code(loc.warehouse_id) or ""
        return DeviceCreated(
            name=device.name,
            warehouse=wh,
            location=loc.code,
            type=data.type,
            key_prefix=device.key_prefix,
            active=True,
            last_seen_at=None,
            key=key,
        )

    async def list_devices(self) -> list[DevicePublic]:
        self._require(CATALOG_ROLES, "list devices")
        wid = self.who.warehouse_id if self.who else None
        now = datetime.now(UTC)
        return [_device_public(d, w, loc, now) for d, w, loc in await self.repo.devices(wid)]

    async def report_health(self, data: DeviceHealthIn) -> DevicePublic:
        """A device (its agent, with the device's key) reports how it is doing."""
        if self.who is None or self.who.kind != "device" or self.who.device_id is None:
            raise errors.Forbidden("Only a device reports its health: use the device's API key.")
        now = datetime.now(UTC)
        await self.repo.set_health(self.who.device_id, data, now)
        found = await self.repo.device_with_places(self.who.device_id)
        if found is None:
            raise errors.NotFound("This device no longer exists.")
        return _device_public(*found, now)


def _device_public(d: Device, warehouse: str, location: str, now: datetime) -> DevicePublic:
    health = None
    if d.health_state is not None and d.health_at is not None:
        health = DeviceHealth(
            state=cast(HealthState, d.health_state),
            last_read_at=d.last_read_at,
            error=d.health_error,
            outbox=d.outbox_depth,
            dead_letters=d.dead_letters,
            reported_at=d.health_at,
        )
    return DevicePublic(
        name=d.name,
        warehouse=warehouse,
        location=location,
        type=MoveKind(d.scan_type),
        key_prefix=d.key_prefix,
        active=d.active,
        last_seen_at=d.last_seen_at,
        online=health is not None and health.reported_at > now - HEALTH_STALE,
        health=health,
    )
