"""Property-based: any sequence of scans keeps the ledger's invariants.

1. Per product, the sum over all locations (virtual included) is zero.
2. No physical quant goes below zero.
3. Quants rebuilt from the ledger equal the projection.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.accounts.repository import AccountsRepository
from server.accounts.schemas import UserCreate
from server.accounts.service import AccountsService
from server.auth.principal import Principal
from server.catalog.repository import CatalogRepository
from server.catalog.schemas import LocationCreate, ProductCreate, WarehouseCreate
from server.catalog.service import CatalogService
from server.db import Database
from server.ledger.repository import LedgerRepository, LedgerWriteRepository
from server.ledger.service import LedgerService, PendingScan
from server.models import LocationKind, MoveKind, Role, Tracking
from server.scans.schemas import ScanIn
from tests.backends import run_sync

ADMIN = Principal("user", 1, "prop-admin", Role.admin)  # the first user, made by _seed
BINS = ["P1", "P2", "P3"]
PRODUCTS = {"PA": Tracking.none, "PB": Tracking.lot}

scans = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(list(MoveKind)),
            "code": st.sampled_from(list(PRODUCTS)),
            "qty": st.decimals(min_value=-5, max_value=12, places=1, allow_nan=False),
            "location": st.sampled_from(BINS),
            "to_location": st.one_of(st.none(), st.sampled_from(BINS)),
            "lot": st.one_of(st.none(), st.sampled_from(["L1", "L2"])),
            "reason": st.sampled_from([None, "damaged", "scrap"]),
        }
    ),
    min_size=1,
    max_size=25,
)


async def _seed(db: Database) -> None:
    async with db.session(write=True) as session:
        await AccountsService(AccountsRepository(session), None).create_user(
            UserCreate(username=ADMIN.name, password="password-123", role=Role.admin)
        )
        catalog = CatalogService(CatalogRepository(session), ADMIN)
        await catalog.create_warehouse(WarehouseCreate(code="PW", name="Property"))
        for code in BINS:
            await catalog.create_location(
                LocationCreate(code=code, warehouse="PW", kind=LocationKind.bin)
            )
        for sku, tracking in PRODUCTS.items():
            await catalog.create_product(ProductCreate(sku=sku, name=sku, tracking=tracking))


async def _check(db: Database) -> None:
    async with db.session() as session:
        repo = LedgerRepository(session)
        projection = await repo.all_quants()
        rebuilt = await repo.ledger_balances()
        kinds = {
            loc.id: loc.kind
            for loc, _ in await CatalogRepository(session).locations(None, None, True)
        }
    nonzero = {k: v for k, v in projection.items() if v != 0}
    assert nonzero == {k: v for k, v in rebuilt.items() if v != 0}
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for (product, location, _lot), qty in projection.items():
        per_product[product] += qty
        if not LocationKind(kinds[location]).is_virtual:
            assert qty >= 0, (product, location, qty)
    assert all(total == 0 for total in per_product.values()), per_product


async def _apply(url: str, batch: list[dict[str, Any]]) -> None:
    db = Database(url)
    try:
        items = [
            PendingScan(
                ScanIn(event_id=uuid.uuid4(), **{k: v for k, v in s.items() if v is not None}),
                ADMIN,
            )
            for s in batch
        ]
        with db.write_connection() as conn:
            LedgerService(LedgerWriteRepository(conn), max_qty=1_000).apply_batch(items)
        await _check(db)
    finally:
        await db.dispose()


def test_any_scan_sequence_keeps_the_invariants(database_url: str) -> None:
    """Examples run one after another on one database: every reachable state must hold."""
    run_sync(_with_db(database_url, _seed))

    @settings(
        max_examples=int(os.environ.get("JXC_HYPOTHESIS_EXAMPLES", "40")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=scans)
    def run(batch: list[dict[str, Any]]) -> None:
        # Each example starts with a receipt, so stock exists for the rest to move.
        opening = {"type": MoveKind.receive, "code": "PA", "qty": Decimal(5), "location": "P1"}
        run_sync(_apply(database_url, [opening, *batch]))

    run()
    run_sync(_with_db(database_url, _assert_some_moves))


async def _assert_some_moves(db: Database) -> None:
    async with db.session() as session:
        head = await LedgerRepository(session).head()
    assert head > 10, "the generated scans should have moved stock"


async def _with_db(url: str, action: Any) -> None:
    db = Database(url)
    try:
        await action(db)
    finally:
        await db.dispose()
