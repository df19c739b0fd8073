"""Fixtures of the hardware tests: a real ``jxc serve`` process for the agent to talk to."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.accounts.repository import AccountsRepository
from server.accounts.schemas import UserCreate
from server.accounts.service import AccountsService
from server.db import Database
from server.models import Role
from tests.conftest import PASSWORD, free_port
from tests.hardware.processes import JxcServer


@pytest.fixture
async def served(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[JxcServer]:
    """``jxc serve`` on its own SQLite file, with an admin, logged in."""
    path = tmp_path / "jxc.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    async with db.session(write=True) as session:
        await AccountsService(AccountsRepository(session), None).create_user(
            UserCreate(username="admin", password=PASSWORD, role=Role.admin)
        )
    await db.dispose()
    server = JxcServer(url, free_port(), tmp_path / "server.log")
    await server.start()
    await server.login()
    try:
        yield server
    finally:
        if server.proc is not None and server.proc.returncode is None:
            await server.kill()
