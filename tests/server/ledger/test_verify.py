"""``jxc ledger verify`` rebuilds stock from the ledger and catches every kind of tampering,
naming the rows involved."""

from __future__ import annotations

from sqlalchemy import text

from server.db import Database
from server.ledger.repository import LedgerRepository
from server.ledger.verify import Report, verify_ledger
from tests.conftest import EAN_LOT, EAN_PLAIN, World, scan
from tests.server.test_cli import clean_env, jxc


async def some_stock(world: World) -> None:
    async with world.server.client("admin") as c:
        for body in (
            scan(type="receive", code=EAN_PLAIN, qty=10, location="A1"),
            scan(type="receive", code=EAN_LOT, lot="L1", qty=4, location="A1"),
            scan(type="transfer", code=EAN_PLAIN, qty=3, location="A1", to_location="A2"),
            scan(type="pick", code=EAN_PLAIN, qty=2, location="A2"),
            scan(type="count", code=EAN_PLAIN, qty=6, location="A1"),
        ):
            r = await c.post("/api/scans", json=body)
            assert r.status_code == 200, r.text


async def verify(db: Database) -> Report:
    async with db.session(snapshot=True) as session:
        return await verify_ledger(LedgerRepository(session))


async def tamper(db: Database, sql: str) -> None:
    async with db.session(write=True) as session:
        await session.execute(text(sql))


async def test_clean_ledger_verifies(world: World, db: Database) -> None:
    await some_stock(world)
    report = await verify(db)
    assert report.ok, report.findings
    assert (report.moves, report.head) == (5, 5)
    assert report.quants >= 6


async def test_a_tampered_quant_is_reported_with_its_row(world: World, db: Database) -> None:
    await some_stock(world)
    await tamper(
        db,
        "UPDATE stock_quant SET qty = qty + 5000 WHERE location_id = "
        "(SELECT id FROM location WHERE code = 'A2')",
    )
    report = await verify(db)
    (finding,) = report.findings
    assert finding.check == "quant"
    assert "A2: PLAIN" in finding.message and "holds 6" in finding.message
    assert "ledger says 1" in finding.message and finding.rows["quant"] > 0


async def test_edited_deleted_moves_and_missing_quants(world: World, db: Database) -> None:
    await some_stock(world)
    await tamper(db, "UPDATE stock_move SET qty = 9000 WHERE seq = 3")
    await tamper(db, "DELETE FROM stock_move WHERE seq = 4")
    await tamper(
        db,
        "DELETE FROM stock_quant WHERE lot_id IS NOT NULL AND location_id = "
        "(SELECT id FROM location WHERE code = 'A1')",
    )
    checks = {f.check for f in (await verify(db)).findings}
    assert {"balance", "seq_gap", "quant", "missing_quant"} <= checks


async def test_cli_exit_status_and_output(world: World, database_url: str, db: Database) -> None:
    await some_stock(world)
    env = clean_env(JXC_DATABASE_URL=database_url, JXC_ENV="dev")
    run = await jxc("ledger", "verify", env=env)
    assert run.code == 0, run.err
    assert "ledger ok: 5 moves (head 5)" in run.out
    await tamper(db, "UPDATE stock_quant SET qty = 0 WHERE qty > 0")
    run = await jxc("ledger", "verify", env=env)
    assert run.code == 1
    assert "quant" in run.out and "A1: PLAIN" in run.out and "problem(s)" in run.out
