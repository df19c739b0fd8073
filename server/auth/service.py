"""Authentication: log users in, and turn a bearer credential into a ``Principal``.

Lookups are cached for a few seconds (bounded), so a stream of scans costs no database
round trip per request; a deactivated user or device is refused within ``ttl`` seconds.
"""

from __future__ import annotations

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
        ok = verify_password(password, user.password_hash if user else None)
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
        if subject is None or not subject.startswith("user:"):
            raise NotAuthenticated("The token is invalid or has expired; sign in again.")
        username = subject.split(":", 2)[2]
        async with self.db.session() as session:
            user = await AuthRepository(session).user_by_name(username)
        if user is None or not user.active or user.id is None:
            raise NotAuthenticated("This user no longer exists or is disabled.")
        return Principal("user", user.id, user.username, Role(user.role), user.warehouse_id)

    async def _device(self, key: str) -> Principal:
        async with self.db.session(write=True) as session:
            repo = AuthRepository(session)
            device = await repo.device_by_key_hash(hash_device_key(key))
            if device is None or not device.active or device.id is None:
                raise NotAuthenticated("Unknown or disabled device key.")
            await repo.touch_device(device.id, datetime.now(UTC))
        return Principal(
            "device",
            device.id,
            device.name,
            warehouse_id=device.warehouse_id,
            location_id=device.location_id,
            scan_type=MoveKind(device.scan_type),
        )
