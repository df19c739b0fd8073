"""Real PostgreSQL and Redis for the tests: found, or skipped loudly (failed when CI is set)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

POSTGRES_URL = os.environ.get("JXC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("JXC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = bool(os.environ.get("CI"))


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from anywhere, even inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def postgres_available() -> bool:
    if not _reachable(POSTGRES_URL):
        return False
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
        except Exception:
            return False
        await conn.close()
        return True

    return run_sync(probe())


def redis_available() -> bool:
    if not _reachable(REDIS_URL):
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False
