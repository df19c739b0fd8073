#!/usr/bin/env python
"""Why one scan costs milliseconds: statements per scan batch, and the cost of one statement.

A companion to ``bench/ingest.py`` (whose profile points at the writer's SQL round trips).
It runs the app in this process (so it can listen to the engine), seeds one warehouse, and
counts the statements that one ``POST /api/scans`` executes; then it times one statement
through ``AsyncSession`` + aiosqlite against the same statement on plain ``sqlite3``.

    .venv/bin/python bench/sql_roundtrip.py
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from ingest import ean13, free_port, scan_body
from sqlalchemy import column, event, select, table, text

from server.accounts.repository import AccountsRepository
from server.accounts.schemas import UserCreate
from server.accounts.service import AccountsService
from server.app import create_app
from server.db import Database
from server.migrate import upgrade
from server.models import Role
from server.serve import uvicorn_config
from server.settings import Settings

PASSWORD = "bench-pass-" + secrets.token_hex(4)


async def statements_per_scan(data: Path) -> list[tuple[int, list[str]]]:
    url = f"sqlite:///{data / 'count.db'}"
    db = Database(url)
    await upgrade(db)
    async with db.session(write=True) as session:
        await AccountsService(AccountsRepository(session), None).create_user(
            UserCreate(username="bench", password=PASSWORD, role=Role.admin)
        )
    await db.dispose()
    settings = Settings(
        env="dev", database_url=url, broker_url="memory://", secret_key=secrets.token_hex(32)
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, settings, "127.0.0.1", port, log_level="warning"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30
        ) as c:
            r = await c.post("/api/auth/token", data={"username": "bench", "password": PASSWORD})
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            (await c.post("/api/warehouses", json={"code": "WH1", "name": "B"})).raise_for_status()
            (
                await c.post(
                    "/api/locations", json={"code": "A01", "warehouse": "WH1", "kind": "bin"}
                )
            ).raise_for_status()
            (
                await c.post(
                    "/api/products", json={"sku": "S1", "name": "S1", "barcodes": [ean13(1)]}
                )
            ).raise_for_status()
            seen: list[str] = []

            def count(_conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
                seen.append(" ".join(statement.split())[:90])

            engine = app.state.jxc.db.writer_engine  # the ledger writer thread's engine
            out = []
            for n in (1, 16):
                await c.post("/api/scans", json=scan_body(ean13(1), "A01"))  # warm caches
                event.listen(engine, "before_cursor_execute", count)
                seen.clear()
                if n == 1:
                    r = await c.post("/api/scans", json=scan_body(ean13(1), "A01"))
                else:  # one list: one batch of n scans
                    r = await c.post(
                        "/api/scans", json=[scan_body(ean13(1), "A01") for _ in range(n)]
                    )
                r.raise_for_status()
                event.remove(engine, "before_cursor_execute", count)
                out.append((n, list(seen)))
            return out
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


async def statement_cost(data: Path) -> None:
    db = Database(f"sqlite:///{data / 'rt.db'}")
    async with db.session(write=True) as s:
        await s.execute(text("create table t (id integer primary key, v int)"))
        await s.execute(text("insert into t values (1, 0)"))
    t = table("t", column("id"), column("v"))
    stmt = select(t.c.v).where(t.c.id == 1)
    for n in (200, 2000):  # warm-up, then measured
        c0, w0 = time.process_time(), time.perf_counter()
        async with db.session() as s:
            for _ in range(n):
                (await s.execute(stmt)).scalar_one()
        c1, w1 = time.process_time(), time.perf_counter()
    print(
        f"  SELECT through AsyncSession + aiosqlite: {(c1 - c0) / n * 1e6:6.0f} us CPU, "
        f"{(w1 - w0) / n * 1e6:6.0f} us wall per statement"
    )
    for n in (20, 200):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            async with db.session(write=True) as s:
                await s.execute(text("update t set v = v + 1 where id = 1"))
        c1, w1 = time.process_time(), time.perf_counter()
    print(
        f"  write transaction (BEGIN IMMEDIATE, 1 UPDATE, COMMIT, fsync): "
        f"{(c1 - c0) / n * 1e6:6.0f} us CPU, {(w1 - w0) / n * 1e6:6.0f} us wall"
    )
    await db.dispose()
    con = sqlite3.connect(data / "rt.db", isolation_level=None)
    con.execute("pragma synchronous=FULL")
    n = 20_000
    c0 = time.process_time()
    for _ in range(n):
        con.execute("select v from t where id = 1").fetchone()
    print(
        f"  the same SELECT on plain sqlite3:            {(time.process_time() - c0) / n * 1e6:6.1f}"
        f" us CPU"
    )
    n = 200
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        con.execute("begin immediate")
        con.execute("update t set v = v + 1 where id = 1")
        con.execute("commit")
    print(
        f"  the same write transaction on plain sqlite3: {(time.process_time() - c0) / n * 1e6:6.0f}"
        f" us CPU, {(time.perf_counter() - w0) / n * 1e6:6.0f} us wall"
    )
    con.close()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="jxc-rt-") as d:
        data = Path(d)
        for n, stmts in await statements_per_scan(data):
            print(f"POST /api/scans with {n} scan(s) in one batch: {len(stmts)} SQL statements")
            if n == 1:
                for s in stmts:
                    print(f"    {s}")
        print("one statement's cost (this process, uvloop):")
        await statement_cost(data)


if __name__ == "__main__":
    os.environ.setdefault("JXC_ENV", "dev")
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
