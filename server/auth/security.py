"""Password hashing (argon2 via pwdlib), JWT bearer tokens, and device API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

DEVICE_KEY_PREFIX = "jxcd_"
_hasher = PasswordHash.recommended()
# A real hash to verify against when the user does not exist, so timing does not tell.
# Made on first use, not at import: every ``jxc`` command would pay for it otherwise.
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    global _dummy_hash
    if hashed is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("jxc-timing-equaliser")
        _hasher.verify(password, _dummy_hash)
        return False
    return _hasher.verify(password, hashed)


def create_token(subject: str, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(token: str, secret: str) -> str | None:
    """The token's subject, or None when it is invalid or expired."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None


def new_device_key() -> str:
    return DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_device_key(key: str) -> str:
    # Keys are 256-bit random: a fast hash is enough, and it keeps every scan cheap.
    return hashlib.sha256(key.encode()).hexdigest()
