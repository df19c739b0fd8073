"""The agent's durable outbox: every read is written here (SQLite, WAL, synchronous=FULL,
so fsync'd at commit) before anything else happens to it, and leaves only when the server
acknowledged it (applied or duplicate) or rejected it (then it moves to ``dead_letter``).

Never bounded: a read is never dropped, however long the server is away. What is bounded is
memory: the forwarder reads the outbox in batches. All SQLite work runs on one thread owned
by the outbox, so the event loop never waits on an fsync.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from hardware.reads import ScanRead

try:
    import fcntl
except ImportError:  # Windows: no advisory lock, one agent per outbox is then on the user
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the forwarder's cursor relies on it
    device TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    envelope TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_device ON outbox (device, id);
CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    envelope TEXT NOT NULL,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    error_details TEXT,
    failed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letter_by_device ON dead_letter (device, id);
CREATE TABLE IF NOT EXISTS device_state (
    device TEXT PRIMARY KEY,
    link_state TEXT,
    link_error TEXT,
    server_state TEXT,
    server_error TEXT,
    last_read_at TEXT,
    updated_at TEXT NOT NULL
);
"""


class OutboxError(RuntimeError):
    """The outbox file cannot be used (missing, locked by another agent, not an outbox)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why the server refused a read, as its result said."""

    code: str
    message: str
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    device: str
    read: ScanRead
    error: Rejection
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    device: str
    outbox: int
    dead_letters: int
    last_read_at: datetime | None
    link_state: str | None
    link_error: str | None
    server_state: str | None
    server_error: str | None
    updated_at: datetime | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Outbox:
    """Open with ``await Outbox.open(path)``; ``lock=True`` (the agent) refuses a second
    agent on the same file, ``create=False`` (status) refuses a file that does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="jxc-outbox")
        self._conn: sqlite3.Connection | None = None
        self._lock_file: Any = None

    @classmethod
    async def open(cls, path: Path, *, lock: bool = False, create: bool = True) -> Outbox:
        outbox = cls(path)
        try:
            await outbox._call(lambda: outbox._open_sync(lock=lock, create=create))
        except BaseException:
            await outbox.close()
            raise
        return outbox

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    def _open_sync(self, *, lock: bool, create: bool) -> None:
        if not create and not self.path.exists():
            raise OutboxError(f"no outbox at {self.path} (has the agent run yet?)")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if lock and fcntl is not None:
            self._lock_file = open(f"{self.path}.lock", "a")  # noqa: SIM115 (held open)
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise OutboxError(f"another agent is using {self.path}") from exc
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # fsync the WAL at every commit
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise OutboxError(f"{self.path} was written by a newer agent")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"{self.path} is not a usable outbox: {exc}") from exc
        self._conn = conn

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise OutboxError("the outbox is closed")
        return self._conn

    async def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

        await self._call(shut)
        self._thread.shutdown(wait=True)

    # --- the agent's path --------------------------------------------------------------

    async def put(self, read: ScanRead) -> int:
        """Store one read durably (committed and fsync'd when this returns); its row id."""

        def put() -> int:
            db = self._db
            with _transaction(db):
                cur = db.execute(
                    "INSERT INTO outbox (device, event_id, envelope, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (read.device_id, read.event_id, read.to_json(), _now()),
                )
                _upsert_state(db, read.device_id, last_read_at=read.read_at.isoformat())
                assert cur.lastrowid is not None
                return cur.lastrowid

        return await self._call(put)

    async def batch(self, device: str, after: int, limit: int) -> list[tuple[int, ScanRead]]:
        """The device's next reads after row ``after``, oldest first, at most ``limit``."""

        def batch() -> list[tuple[int, ScanRead]]:
            rows = self._db.execute(
                "SELECT id, envelope FROM outbox WHERE device = ? AND id > ? ORDER BY id LIMIT ?",
                (device, after, limit),
            ).fetchall()
            return [(row_id, ScanRead.from_json(env)) for row_id, env in rows]

        return await self._call(batch)

    async def settle(self, acked: Sequence[int], rejected: Sequence[tuple[int, Rejection]]) -> None:
        """Remove acknowledged reads; move rejected ones to the dead letters. One commit."""
        if not acked and not rejected:
            return

        def settle() -> None:
            db = self._db
            with _transaction(db):
                for row_id, why in rejected:
                    db.execute(
                        "INSERT OR REPLACE INTO dead_letter (device, event_id, envelope, "
                        "error_code, error_message, error_details, failed_at) "
                        "SELECT device, event_id, envelope, ?, ?, ?, ? FROM outbox WHERE id = ?",
                        (
                            why.code,
                            why.message,
                            json.dumps(why.details) if why.details else None,
                            _now(),
                            row_id,
                        ),
                    )
                ids = [*acked, *(row_id for row_id, _ in rejected)]
                db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

        await self._call(settle)

    async def set_state(self, device: str, **fields: str | None) -> None:
        """Record a device's link or server state, for ``agent status`` in another process."""
        await self._call(lambda: _with_transaction(self._db, device, fields))

    async def requeue(self, device: str | None = None) -> int:
        """Move dead letters back into the outbox (their cause fixed, e.g. a barcode linked);
        the same event ids, so the server still applies each at most once."""

        def requeue() -> int:
            db = self._db
            where, args = ("WHERE device = ?", (device,)) if device else ("", ())
            with _transaction(db):
                rows = db.execute(
                    f"SELECT id, device, event_id, envelope FROM dead_letter {where} ORDER BY id",
                    args,
                ).fetchall()
                for _, dev, event_id, envelope in rows:
                    db.execute(
                        "INSERT OR IGNORE INTO outbox (device, event_id, envelope, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (dev, event_id, envelope, _now()),
                    )
                db.executemany("DELETE FROM dead_letter WHERE id = ?", [(r[0],) for r in rows])
            return len(rows)

        return await self._call(requeue)

    # --- what status shows -------------------------------------------------------------

    async def depth(self, device: str) -> int:
        return await self._call(lambda: self._count("outbox", device))

    async def dead_count(self, device: str) -> int:
        return await self._call(lambda: self._count("dead_letter", device))

    def _count(self, table: str, device: str) -> int:
        row = self._db.execute(f"SELECT count(*) FROM {table} WHERE device = ?", (device,))
        return int(row.fetchone()[0])

    async def status(
        self, devices: Sequence[str] = (), *, only: bool = False
    ) -> list[DeviceStatus]:
        """Per device: outbox depth, dead letters, last read, last known states. Devices
        named in ``devices`` come first, in that order, even with nothing recorded yet;
        ``only``: just those."""

        def status() -> list[DeviceStatus]:
            db = self._db
            counts: dict[str, list[int]] = {}
            for table, i in (("outbox", 0), ("dead_letter", 1)):
                for dev, n in db.execute(f"SELECT device, count(*) FROM {table} GROUP BY device"):
                    counts.setdefault(dev, [0, 0])[i] = n
            states = {r[0]: r for r in db.execute("SELECT * FROM device_state")}
            names = list(dict.fromkeys([*devices, *([] if only else sorted({*counts, *states}))]))
            out = []
            for name in names:
                n_out, n_dead = counts.get(name, [0, 0])
                st = states.get(name) or (name, None, None, None, None, None, None)
                out.append(
                    DeviceStatus(
                        device=name,
                        outbox=n_out,
                        dead_letters=n_dead,
                        last_read_at=_when(st[5]),
                        link_state=st[1],
                        link_error=st[2],
                        server_state=st[3],
                        server_error=st[4],
                        updated_at=_when(st[6]),
                    )
                )
            return out

        return await self._call(status)

    async def dead_letters(self, device: str | None = None, limit: int = 50) -> list[DeadLetter]:
        """The most recent dead letters, newest first."""

        def dead() -> list[DeadLetter]:
            where, args = ("WHERE device = ?", (device,)) if device else ("", ())
            rows = self._db.execute(
                "SELECT device, envelope, error_code, error_message, error_details, failed_at "
                f"FROM dead_letter {where} ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            return [
                DeadLetter(
                    device=dev,
                    read=ScanRead.from_json(env),
                    error=Rejection(code, message, json.loads(details) if details else None),
                    failed_at=datetime.fromisoformat(at),
                )
                for dev, env, code, message, details, at in rows
            ]

        return await self._call(dead)


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error) on an autocommit
    connection: one writer lock, one fsync."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


_STATE_FIELDS = ("link_state", "link_error", "server_state", "server_error", "last_read_at")


def _upsert_state(db: sqlite3.Connection, device: str, **fields: str | None) -> None:
    unknown = set(fields) - set(_STATE_FIELDS)
    if unknown:
        raise ValueError(f"unknown device state fields: {sorted(unknown)}")
    cols = [*fields, "updated_at"]
    values = [*fields.values(), _now()]
    db.execute(
        f"INSERT INTO device_state (device, {', '.join(cols)}) "
        f"VALUES (?, {', '.join('?' for _ in cols)}) "
        f"ON CONFLICT (device) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}",
        (device, *values),
    )


def _with_transaction(db: sqlite3.Connection, device: str, fields: dict[str, str | None]) -> None:
    with _transaction(db):
        _upsert_state(db, device, **fields)
