"""``jxc demo``: a realistic small warehouse, seeded through the same services as the API."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from scanner import gtin14
from server.accounts.repository import AccountsRepository
from server.accounts.schemas import DeviceCreate, UserCreate
from server.accounts.service import AccountsService
from server.auth.principal import Principal
from server.catalog.repository import CatalogRepository
from server.catalog.schemas import LocationCreate, ProductCreate, WarehouseCreate
from server.catalog.service import CatalogService
from server.db import Database
from server.demo.outbound import seed_outbound
from server.ledger.repository import LedgerWriteRepository
from server.ledger.service import LedgerService, PendingScan
from server.models import LocationKind, MoveKind, Role, Tracking
from server.purchasing.repository import PurchasingRepository
from server.purchasing.schemas import BudgetIn, ConfirmIn, POCreate, POLineIn
from server.purchasing.service import PurchasingService
from server.scans.schemas import ScanIn
from server.settings import Settings
from server.suppliers.repository import SuppliersRepository
from server.suppliers.schemas import ContactIn, PriceIn, QualificationIn, SupplierCreate
from server.suppliers.service import SupplierService

DEMO_PASSWORD = "demo-pass-1"
DEMO_USERS = [
    ("admin", Role.admin, "Ada Admin"),
    ("supervisor", Role.supervisor, "Sun Supervisor"),
    ("receiver", Role.receiver, "Rui Receiver"),
    ("picker", Role.picker, "Pei Picker"),
    ("counter", Role.counter, "Chen Counter"),
]
# (name, unit, tracking, shelf life days or None)
CATALOGUE = [
    ("Jasmine green tea 250 g", "pcs", Tracking.lot, 540),
    ("Oolong tea 500 g", "pcs", Tracking.lot, 720),
    ("Soy sauce 500 ml", "pcs", Tracking.lot, 365),
    ("Rice vinegar 500 ml", "pcs", Tracking.lot, 365),
    ("Instant noodles, beef (5-pack)", "pack", Tracking.lot, 180),
    ("Sesame oil 250 ml", "pcs", Tracking.lot, 400),
    ("Chili crisp 210 g", "pcs", Tracking.lot, 300),
    ("Dumpling wrappers 500 g", "pcs", Tracking.lot, 60),
    ("Long-grain rice 5 kg", "bag", Tracking.none, None),
    ("Wheat flour 2.5 kg", "bag", Tracking.none, None),
    ("Bottled water 550 ml (24)", "case", Tracking.none, None),
    ("Paper towels (6 rolls)", "pack", Tracking.none, None),
    ("Dish soap 1 L", "pcs", Tracking.none, None),
    ("Laundry detergent 3 kg", "pcs", Tracking.none, None),
    ("Toothpaste 120 g", "pcs", Tracking.none, None),
    ("Shampoo 400 ml", "pcs", Tracking.none, None),
    ("AA batteries (4)", "pack", Tracking.none, None),
    ("USB-C cable 1 m", "pcs", Tracking.none, None),
    ("LED bulb E27 9 W", "pcs", Tracking.none, None),
    ("Extension cord 3 m", "pcs", Tracking.none, None),
    ("Thermos flask 500 ml", "pcs", Tracking.none, None),
    ("Rice cooker 3 L", "pcs", Tracking.serial, None),
    ("Electric kettle 1.7 L", "pcs", Tracking.serial, None),
    ("Bluetooth speaker", "pcs", Tracking.serial, None),
    ("Notebook A5", "pcs", Tracking.none, None),
    ("Gel pens (10)", "pack", Tracking.none, None),
    ("Packing tape 48 mm", "roll", Tracking.none, None),
    ("Cardboard box 40x30x30", "pcs", Tracking.none, None),
    ("Stretch film 500 mm", "roll", Tracking.none, None),
    ("Work gloves (pair)", "pair", Tracking.none, None),
    ("Safety vest, size L", "pcs", Tracking.none, None),
    ("Hand sanitiser 500 ml", "pcs", Tracking.lot, 730),
    ("Face masks (50)", "box", Tracking.lot, 1095),
    ("Vitamin C tablets (60)", "bottle", Tracking.lot, 540),
    ("Honey 500 g", "jar", Tracking.lot, 900),
    ("Peanut butter 340 g", "jar", Tracking.lot, 270),
]


@dataclass
class DemoInfo:
    device_name: str
    device_key: str


def with_check_digit(body: str) -> str:
    """Append the GS1 check digit to a GTIN body (7, 11, 12 or 13 digits)."""
    return next(body + d for d in "0123456789" if gtin14(body + d))


async def seed(
    db: Database, *, seed_value: int = 7, settings: Settings | None = None
) -> DemoInfo | None:
    """Seed once: does nothing (returns None) when the database already has a warehouse."""
    rng = random.Random(seed_value)
    async with db.session(write=True) as session:
        catalog_repo = CatalogRepository(session)
        if await catalog_repo.warehouses(None):
            return None
        accounts = AccountsService(AccountsRepository(session), None)
        for username, role, full_name in DEMO_USERS:
            await accounts.create_user(
                UserCreate(
                    username=username, password=DEMO_PASSWORD, role=role, full_name=full_name
                )
            )
        admin_user = await AccountsRepository(session).user("admin")
        assert admin_user is not None and admin_user.id is not None
        admin = Principal("user", admin_user.id, "admin", Role.admin)
        catalog = CatalogService(catalog_repo, admin)
        await catalog.create_warehouse(WarehouseCreate(code="WH1", name="Shanghai DC"))
        await catalog.create_location(
            LocationCreate(
                code="DOCK-01",
                warehouse="WH1",
                kind=LocationKind.dock,
                barcode="LOC-DOCK-01",
                name="Receiving dock 1",
            )
        )
        await catalog.create_location(
            LocationCreate(
                code="STAGE-01",
                warehouse="WH1",
                kind=LocationKind.staging,
                barcode="LOC-STAGE-01",
                name="Outbound staging",
            )
        )
        bins = [
            f"{aisle}-{bay:02d}-{level:02d}"
            for aisle in "ABC"
            for bay in (1, 2, 3, 4)
            for level in (1, 2)
        ]
        for code in bins:
            await catalog.create_location(
                LocationCreate(
                    code=code, warehouse="WH1", kind=LocationKind.bin, barcode=f"LOC-{code}"
                )
            )
        skus: list[tuple[str, Tracking, int | None]] = []
        for i, (name, unit, tracking, shelf) in enumerate(CATALOGUE, start=1):
            sku = f"SKU-{i:04d}"
            ean = with_check_digit(f"6901234{i:05d}")  # EAN-13, GS1 China prefix
            case = with_check_digit("1" + ean[:-1])  # GTIN-14 of a case of the same item
            await catalog.create_product(
                ProductCreate(
                    sku=sku,
                    name=name,
                    unit=unit,
                    tracking=tracking,
                    barcodes=[ean, case],
                    safety_stock=Decimal(rng.choice([0, 5, 10, 20])),
                )
            )
            skus.append((sku, tracking, shelf))
        device = await accounts.create_device(
            DeviceCreate(name="dock-scanner-1", location="DOCK-01", type=MoveKind.receive)
        )
        # The inbound rules' defaults (tolerances, alert days) unless the caller has settings.
        await _seed_inbound(session, admin, settings or Settings.model_construct())

        # Opening stock, received through the ledger like any other scan.
        scans: list[PendingScan] = []
        today = datetime.now(UTC).date()
        for sku, tracking, shelf in skus:
            for _ in range(1 if tracking == Tracking.serial else rng.choice([1, 2])):
                lot = None
                expiry = None
                qty = Decimal(rng.randint(3, 60))
                if tracking == Tracking.lot and shelf:
                    lot = f"L{rng.randint(24000, 26999)}"
                    expiry = today + timedelta(days=rng.randint(shelf // 6, shelf))
                elif tracking == Tracking.serial:
                    lot, qty = f"SN{rng.randint(100000, 999999)}", Decimal(1)
                scans.append(
                    PendingScan(
                        ScanIn(
                            event_id=uuid.uuid4(),
                            type=MoveKind.receive,
                            code=sku,
                            qty=qty,
                            location=rng.choice(bins),
                            lot=lot,
                            expiry=expiry,
                            reference="OPENING",
                        ),
                        admin,
                    )
                )
    # After the catalogue's commit: the ledger writes on its own (synchronous) connection.
    await asyncio.to_thread(_apply, db, scans)
    await seed_outbound(db, admin)  # customers, a confirmed order on the picker's pick list
    return DemoInfo(device.name, device.key)


def _apply(db: Database, scans: list[PendingScan]) -> None:
    with db.write_connection() as conn:
        LedgerService(LedgerWriteRepository(conn), max_qty=1_000_000).apply_batch(scans)


async def _seed_inbound(session: AsyncSession, admin: Principal, settings: Settings) -> None:
    """Two suppliers (one licence about to expire), price lists, this month's budget and a
    confirmed PO that the demo receiver can receive at DOCK-01 (docs/inbound.md)."""
    suppliers = SupplierService(SuppliersRepository(session), admin, settings)
    today = datetime.now(UTC).date()
    await suppliers.create(
        SupplierCreate(
            code="SH-FOODS",
            name="Shanghai Fine Foods Co.",
            currency="CNY",
            payment_terms="30 days net",
            lead_time_days=4,
            address="1288 Yanggao Rd, Pudong, Shanghai",
            contacts=[ContactIn(name="Wang Fang", role="sales", phone="+86 21 5555 0101")],
            qualifications=[
                QualificationIn(
                    kind="food business licence",
                    number="JY13101150012345",
                    expires_on=today + timedelta(days=20),
                ),
                QualificationIn(kind="ISO 22000", expires_on=today + timedelta(days=400)),
            ],
        )
    )
    await suppliers.create(
        SupplierCreate(
            code="NB-HOME",
            name="Ningbo Home Goods Ltd.",
            lead_time_days=9,
            qualifications=[
                QualificationIn(kind="ISO 9001", expires_on=today + timedelta(days=700))
            ],
        )
    )
    for code, sku, price, min_qty, lead in (
        ("SH-FOODS", "SKU-0001", "18.50", "1", None),
        ("SH-FOODS", "SKU-0001", "16.80", "100", None),
        ("SH-FOODS", "SKU-0003", "6.20", "1", None),
        ("SH-FOODS", "SKU-0009", "42.00", "1", 2),
        ("NB-HOME", "SKU-0001", "17.90", "1", 12),
        ("NB-HOME", "SKU-0013", "9.90", "1", None),
        ("NB-HOME", "SKU-0013", "8.70", "200", None),
    ):
        await suppliers.set_price(
            code,
            PriceIn(
                sku=sku, unit_price=Decimal(price), min_qty=Decimal(min_qty), lead_time_days=lead
            ),
        )
    purchasing = PurchasingService(PurchasingRepository(session), admin, settings)
    month = datetime.now(UTC).strftime("%Y-%m")
    await purchasing.set_budget(BudgetIn(warehouse="WH1", month=month, amount=Decimal(50_000)))
    po = await purchasing.create(
        POCreate(
            supplier="SH-FOODS",
            warehouse="WH1",
            expected_date=today + timedelta(days=3),
            lines=[
                POLineIn(sku="SKU-0001", qty=Decimal(120)),
                POLineIn(sku="SKU-0003", qty=Decimal(60)),
                POLineIn(sku="SKU-0009", qty=Decimal(40)),
            ],
        )
    )
    await purchasing.confirm(po.number, ConfirmIn())
