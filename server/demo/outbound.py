"""Demo data for outbound: customers (one with a credit limit), a confirmed sales order
already on a pick list for the demo picker, and a draft order to confirm by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from server.auth.principal import Principal
from server.customers.repository import CustomersRepository
from server.customers.schemas import AddressIn, ContactIn, CustomerCreate
from server.customers.service import CustomerService
from server.db import Database
from server.picking.repository import PickingRepository
from server.picking.schemas import PickListCreate
from server.picking.service import PickingService
from server.sales.repository import SalesRepository
from server.sales.schemas import OrderLineIn, SalesOrderCreate
from server.sales.service import SalesService


async def seed_outbound(db: Database, admin: Principal) -> None:
    today = datetime.now(UTC).date()
    async with db.session(write=True) as session:
        customers = CustomerService(CustomersRepository(session), admin)
        await customers.create(
            CustomerCreate(
                code="C-HUAMART",
                name="Huamart Supermarkets",
                price_level="wholesale",
                credit_limit=Decimal(20_000),
                payment_terms_days=30,
                contacts=[ContactIn(name="Zhang Min", role="buyer", phone="+86 21 6000 1234")],
                addresses=[
                    AddressIn(line1="88 Century Ave", city="Shanghai", postal_code="200120")
                ],
            )
        )
        await customers.create(
            CustomerCreate(
                code="C-CORNER",
                name="Corner Shop Li",
                credit_limit=Decimal(500),
                addresses=[AddressIn(line1="12 Wuding Rd", city="Shanghai")],
            )
        )
    async with db.session(write=True) as session:
        sales = SalesService(SalesRepository(session), admin)
        first = await sales.create(
            SalesOrderCreate(
                customer="C-HUAMART",
                warehouse="WH1",
                promised_date=today + timedelta(days=2),
                customer_reference="HM-PO-4471",
                lines=[
                    OrderLineIn(sku="SKU-0001", qty=Decimal(3), unit_price=Decimal("18.5")),
                    OrderLineIn(sku="SKU-0009", qty=Decimal(2), unit_price=Decimal(45)),
                ],
            )
        )
        await sales.confirm(first.number)
        await sales.create(
            SalesOrderCreate(
                customer="C-CORNER",
                warehouse="WH1",
                promised_date=today + timedelta(days=1),
                lines=[OrderLineIn(sku="SKU-0011", qty=Decimal(2), unit_price=Decimal(30))],
            )
        )
    async with db.session(write=True) as session:
        picking = PickingService(PickingRepository(session), admin)
        await picking.create(PickListCreate(orders=[first.number], assigned_to="picker"))
