"""The base of the ORM-backed repositories: add and delete, with unique conflicts as 409s."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server import errors


class SessionRepository:
    conflict_message: ClassVar[str] = "It conflicts with one that already exists."

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, obj: object) -> None:
        """Insert or update; a unique value that a concurrent request took first is a 409."""
        self.session.add(obj)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise errors.AlreadyExists(self.conflict_message) from exc

    async def delete(self, obj: object) -> None:
        """Delete; a row that something else still refers to is a 409, never a 500."""
        await self.session.delete(obj)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise errors.InUse("It is still referred to; deactivate it instead.") from exc
