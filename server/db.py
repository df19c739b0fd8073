"""Engines and sessions. Built in the app's lifespan (or by the CLI), never at import time.

Requests use the async engine. The ledger writer is one thread with a synchronous engine
(pysqlite / psycopg): a batch of scans then costs one thread hop instead of one per
statement, which is where an async driver spends most of its time.

SQLite: WAL, ``synchronous=FULL`` (an acknowledged commit survives a crash), and writers
open their transactions with ``BEGIN IMMEDIATE`` so a reader never has to upgrade to a
writer mid-transaction (which SQLite answers with SQLITE_BUSY).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from server.settings import async_url, sync_url

_WRITE = "jxc_write"


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine; read sessions and write sessions (``BEGIN IMMEDIATE`` on SQLite)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kw: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kw.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **kw)
        self.writer_engine = create_engine(sync_url(url), pool_size=2, max_overflow=2)
        if self.is_sqlite:
            _sqlite_hooks(self.engine.sync_engine)
            _sqlite_hooks(self.writer_engine)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})

    @asynccontextmanager
    async def session(
        self, *, write: bool = False, snapshot: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends normally, rolled back otherwise.

        ``snapshot``: every read sees one point in time (REPEATABLE READ on PostgreSQL;
        any SQLite transaction already does).
        """
        bind = self._write_engine if write else self.engine
        if snapshot and not self.is_sqlite:
            bind = bind.execution_options(isolation_level="REPEATABLE READ")
        async with AsyncSession(bind=bind, expire_on_commit=False) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A synchronous write transaction for the ledger writer's thread."""
        with self.writer_engine.execution_options(**{_WRITE: True}).begin() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()
        self.writer_engine.dispose()
