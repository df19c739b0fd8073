"""Authentication: log users in, and turn a bearer credential into a ``Principal``.

Lookups are cached for a few seconds (bounded), so a stream of scans costs no database
round trip per request; a deactivated user or device is refused within ``ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from datetime import UTC, datetime

from server.auth.principal import Principal
from server.auth.repository import AuthRepository
from server.auth.security import (
    DEVICE_KEY_PREFIX,
    create_token,
    decode_token,
    hash_device_key,
    verify_password,
)
from server.db import Database
from server.errors import NotAuthenticated
from server.models import MoveKind, Role
from server.settings import Settings


class Authenticator:
    def __init__(
        self, db: Database, settings: Settings, *, ttl: float = 5.0, max_entries: int = 10_000
    ) -> None:
        self.db = db
        self.settings = settings
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def login(self, username: str, password: str) -> str:
        async with self.db.session() as session:
            user = await AuthRepository(session).user_by_name(username)
        # argon2 is deliberately slow: off the event loop, so scans and streams go on.
        ok = await asyncio.to_thread(
            verify_password, password, user.password_hash if user else None
        )
        if not ok or user is None or not user.active:
            raise NotAuthenticated("Wrong username or password.")
        return create_token(
            f"user:{user.id}:{user.username}", self.settings.secret_key, self.settings.token_minutes
        )

    async def principal(self, credential: str | None) -> Principal:
        if not credential:
            raise NotAuthenticated("Sign in first: send 'Authorization: Bearer <token>'.")
        now = time.monotonic()
        hit = self._cache.get(credential)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await self._lookup(credential)
        self._cache[credential] = (now + self.ttl, principal)
        self._cache.move_to_end(credential)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return principal

    async def _lookup(self, credential: str) -> Principal:
        if credential.startswith(DEVICE_KEY_PREFIX):
            return await self._device(credential)
        subject = decode_token(credential, self.settings.secret_key)
        parsed = _user_subject(subject)
        if parsed is None:
            raise NotAuthenticated("The token is invalid or has expired; sign in again.")
        user_id, username = parsed
        async with self.db.session() as session:
            user = await AuthRepository(session).user_by_name(username)
        # The id too: a token outlives neither its user nor a new user of the same name.
        if user is None or not user.active or user.id != user_id:
            raise NotAuthenticated("This user no longer exists or is disabled.")
        return Principal("user", user_id, user.username, Role(user.role), user.warehouse_id)

    async def _device(self, key: str) -> Principal:
        # Look up with a read transaction: a wrong key must not queue for the write lock
        # (SQLite has one) behind the scan writer; only a known device is marked as seen.
        async with self.db.session() as session:
            device = await AuthRepository(session).device_by_key_hash(hash_device_key(key))
        if device is None or not device.active or device.id is None:
            raise NotAuthenticated("Unknown or disabled device key.")
        async with self.db.session(write=True) as session:
            await AuthRepository(session).touch_device(device.id, datetime.now(UTC))
        return Principal(
            "device",
            device.id,
            device.name,
            warehouse_id=device.warehouse_id,
            location_id=device.location_id,
            scan_type=MoveKind(device.scan_type),
        )


def _user_subject(subject: str | None) -> tuple[int, str] | None:
    """``user:<id>:<username>`` as ``(id, username)``; None for anything else."""
    kind, _, rest = (subject or "").partition(":")
    user_id, _, username = rest.partition(":")
    if kind != "user" or not user_id.isdigit() or not username:
        return None
    return int(user_id), username
