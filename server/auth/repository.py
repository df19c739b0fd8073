"""The SQL that authentication needs: users by name, devices by key hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from server.models import Device, User


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_name(self, username: str) -> User | None:
        result = await self.session.execute(select(User).where(col(User.username) == username))
        return result.scalar_one_or_none()

    async def device_by_key_hash(self, key_hash: str) -> Device | None:
        result = await self.session.execute(select(Device).where(col(Device.key_hash) == key_hash))
        return result.scalar_one_or_none()

    async def touch_device(self, device_id: int, when: datetime) -> None:
        await self.session.execute(
            update(Device).where(col(Device.id) == device_id).values(last_seen_at=when)
        )
