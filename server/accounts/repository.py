"""SQL for users and devices."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import Device, Location, User, Warehouse


class AccountsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, obj: object) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def user(self, username: str) -> User | None:
        stmt = select(User).where(User.username == username)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def users(self) -> list[tuple[User, str | None]]:
        stmt = (
            select(User, Warehouse.code)
            .outerjoin(Warehouse, Warehouse.id == User.warehouse_id)  # type: ignore[arg-type]
            .order_by(User.username)
        )
        return [(u, c) for u, c in await self.session.execute(stmt)]

    async def device(self, name: str) -> Device | None:
        stmt = select(Device).where(Device.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def devices(self, warehouse_id: int | None) -> list[tuple[Device, str, str]]:
        stmt = (
            select(Device, Warehouse.code, Location.code)
            .join(Warehouse, Warehouse.id == Device.warehouse_id)  # type: ignore[arg-type]
            .join(Location, Location.id == Device.location_id)  # type: ignore[arg-type]
            .order_by(Device.name)
        )
        if warehouse_id is not None:
            stmt = stmt.where(Device.warehouse_id == warehouse_id)
        return [(d, w, loc) for d, w, loc in await self.session.execute(stmt)]

    async def warehouse(self, code: str) -> Warehouse | None:
        stmt = select(Warehouse).where(Warehouse.code == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def warehouse_code(self, wid: int | None) -> str | None:
        wh = await self.session.get(Warehouse, wid) if wid is not None else None
        return wh.code if wh else None

    async def location(self, ref: str) -> Location | None:
        stmt = select(Location).where((Location.code == ref) | (Location.barcode == ref))
        return (await self.session.execute(stmt)).scalars().first()
