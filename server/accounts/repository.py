"""SQL for users and devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlmodel import col

from server.accounts.schemas import DeviceHealthIn
from server.kit.repository import SessionRepository
from server.models import Device, Location, User, Warehouse


class AccountsRepository(SessionRepository):
    conflict_message = "That name is already taken."

    async def user(self, username: str) -> User | None:
        stmt = select(User).where(col(User.username) == username)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def users(self) -> list[tuple[User, str | None]]:
        stmt = (
            select(User, col(Warehouse.code))
            .outerjoin(Warehouse, col(Warehouse.id) == col(User.warehouse_id))
            .order_by(col(User.username))
        )
        return [(u, c) for u, c in await self.session.execute(stmt)]

    async def device(self, name: str) -> Device | None:
        stmt = select(Device).where(col(Device.name) == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def devices(self, warehouse_id: int | None) -> list[tuple[Device, str, str]]:
        stmt = _devices_with_places().order_by(col(Device.name))
        if warehouse_id is not None:
            stmt = stmt.where(col(Device.warehouse_id) == warehouse_id)
        return [(d, w, loc) for d, w, loc in await self.session.execute(stmt)]

    async def device_with_places(self, device_id: int) -> tuple[Device, str, str] | None:
        row = (
            await self.session.execute(_devices_with_places().where(col(Device.id) == device_id))
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def set_health(self, device_id: int, health: DeviceHealthIn, when: datetime) -> None:
        await self.session.execute(
            update(Device)
            .where(col(Device.id) == device_id)
            .values(
                health_state=health.state,
                health_error=health.error,
                last_read_at=health.last_read_at,
                outbox_depth=health.outbox,
                dead_letters=health.dead_letters,
                health_at=when,
                last_seen_at=when,
            )
        )

    async def warehouse(self, code: str) -> Warehouse | None:
        stmt = select(Warehouse).where(col(Warehouse.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def warehouse_code(self, wid: int | None) -> str | None:
        wh = await self.session.get(Warehouse, wid) if wid is not None else None
        return wh.code if wh else None

    async def location(self, ref: str) -> Location | None:
        stmt = select(Location).where(or_(col(Location.code) == ref, col(Location.barcode) == ref))
        return (await self.session.execute(stmt)).scalars().first()


def _devices_with_places() -> Any:
    return (
        select(Device, col(Warehouse.code), col(Location.code))
        .join(Warehouse, col(Warehouse.id) == col(Device.warehouse_id))
        .join(Location, col(Location.id) == col(Device.location_id))
    )
