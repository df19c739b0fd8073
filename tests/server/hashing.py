"""Cheap argon2 parameters for tests that make many users (the server fixture makes five).

Still argon2 through pwdlib, so hashing and verifying run the real code path; only the cost
is lowered. Import ``fast_hashing`` into a test module (or conftest) to use it.
"""

from __future__ import annotations

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from server.auth import security


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_dummy_hash", None)
