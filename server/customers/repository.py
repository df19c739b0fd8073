"""SQL of customers: the records, and the money figures their credit is judged on."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import col

from server.kit.quantity import ZERO
from server.kit.repository import SessionRepository
from server.models import (
    RESERVING_STATUSES,
    CreditRelease,
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerNote,
    CustomerPayment,
    Product,
    ReturnAuthorization,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    SalesOrderStatus,
    User,
)

# Orders whose value is a receivable once shipped.
INVOICED_STATUSES = (
    SalesOrderStatus.backordered,
    SalesOrderStatus.shipped,
    SalesOrderStatus.delivered,
)


class CustomersRepository(SessionRepository):
    conflict_message = "That customer already exists."

    async def by_code(self, code: str) -> Customer | None:
        stmt = select(Customer).where(col(Customer.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock(self, customer_id: int) -> None:
        """Serialise credit decisions for one customer (PostgreSQL; SQLite's write
        transactions already are)."""
        stmt = select(col(Customer.id)).where(col(Customer.id) == customer_id).with_for_update()
        await self.session.execute(stmt)

    async def by_id(self, customer_id: int) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def listing(
        self, q: str | None, include_inactive: bool, limit: int, offset: int
    ) -> list[Customer]:
        stmt = select(Customer).order_by(col(Customer.code)).limit(limit).offset(offset)
        if q:
            like = f"%{q.lower()}%"
            stmt = stmt.where(
                func.lower(col(Customer.code)).like(like)
                | func.lower(col(Customer.name)).like(like)
            )
        if not include_inactive:
            stmt = stmt.where(col(Customer.active).is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def contacts(self, customer_id: int) -> list[CustomerContact]:
        stmt = select(CustomerContact).where(col(CustomerContact.customer_id) == customer_id)
        return list((await self.session.execute(stmt.order_by(col(CustomerContact.id)))).scalars())

    async def addresses(self, customer_id: int) -> list[CustomerAddress]:
        stmt = select(CustomerAddress).where(col(CustomerAddress.customer_id) == customer_id)
        return list((await self.session.execute(stmt.order_by(col(CustomerAddress.id)))).scalars())

    async def contact(self, customer_id: int, contact_id: int) -> CustomerContact | None:
        row = await self.session.get(CustomerContact, contact_id)
        return row if row is not None and row.customer_id == customer_id else None

    async def address(self, customer_id: int, address_id: int) -> CustomerAddress | None:
        row = await self.session.get(CustomerAddress, address_id)
        return row if row is not None and row.customer_id == customer_id else None

    async def notes(self, customer_id: int) -> list[tuple[CustomerNote, str | None]]:
        stmt: Any = (
            select(CustomerNote, col(User.username))
            .outerjoin(User, col(User.id) == col(CustomerNote.author_id))
            .where(col(CustomerNote.customer_id) == customer_id)
            .order_by(col(CustomerNote.id).desc())
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    async def payments(self, customer_id: int) -> list[tuple[CustomerPayment, str | None]]:
        stmt: Any = (
            select(CustomerPayment, col(User.username))
            .outerjoin(User, col(User.id) == col(CustomerPayment.recorded_by))
            .where(col(CustomerPayment.customer_id) == customer_id)
            .order_by(col(CustomerPayment.received_at).desc(), col(CustomerPayment.id).desc())
        )
        return [(r[0], r[1]) for r in await self.session.execute(stmt)]

    # --- the figures credit is judged on ---
    async def invoiced(self, customer_id: int) -> Decimal:
        stmt = select(func.coalesce(func.sum(col(SalesOrder.invoiced_amount)), 0)).where(
            col(SalesOrder.customer_id) == customer_id,
            col(SalesOrder.status).in_(list(INVOICED_STATUSES)),
        )
        return await self._sum(stmt)

    async def paid(self, customer_id: int) -> Decimal:
        stmt = select(func.coalesce(func.sum(col(CustomerPayment.amount)), 0)).where(
            col(CustomerPayment.customer_id) == customer_id
        )
        return await self._sum(stmt)

    async def credited(self, customer_id: int) -> Decimal:
        stmt = select(func.coalesce(func.sum(col(ReturnAuthorization.credit_amount)), 0)).where(
            col(ReturnAuthorization.customer_id) == customer_id
        )
        return await self._sum(stmt)

    async def open_orders(self, customer_id: int, exclude_order: int | None = None) -> Decimal:
        """What accepted orders will still invoice (their total less what they invoiced)."""
        where = [
            col(SalesOrder.customer_id) == customer_id,
            col(SalesOrder.status).in_(list(RESERVING_STATUSES)),
        ]
        if exclude_order is not None:
            where.append(col(SalesOrder.id) != exclude_order)
        total = select(func.coalesce(func.sum(col(SalesOrder.total)), 0)).where(*where)
        invoiced = select(func.coalesce(func.sum(col(SalesOrder.invoiced_amount)), 0)).where(*where)
        return await self._sum(total) - await self._sum(invoiced)

    async def _sum(self, stmt: Any) -> Decimal:
        # SUM and COALESCE keep the column's type, so the value comes back as a Decimal.
        value = (await self.session.execute(stmt)).scalar_one()
        return value if isinstance(value, Decimal) else ZERO

    # --- history ---
    async def orders(self, customer_id: int, limit: int) -> list[SalesOrder]:
        stmt = (
            select(SalesOrder)
            .where(col(SalesOrder.customer_id) == customer_id)
            .order_by(col(SalesOrder.id).desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def order_lines(self, order_ids: Sequence[int]) -> list[tuple[SalesOrderLine, str, str]]:
        if not order_ids:
            return []
        stmt: Any = (
            select(SalesOrderLine, col(Product.sku), col(Product.name))
            .join(Product, col(Product.id) == col(SalesOrderLine.product_id))
            .where(col(SalesOrderLine.order_id).in_(list(order_ids)))
            .order_by(col(SalesOrderLine.order_id), col(SalesOrderLine.line_no))
        )
        return [(r[0], r[1], r[2]) for r in await self.session.execute(stmt)]

    async def order_events(self, customer_id: int, limit: int) -> list[Row[Any]]:
        stmt: Any = (
            select(
                col(SalesOrder.number),
                col(SalesOrderEvent.from_status),
                col(SalesOrderEvent.to_status),
                col(SalesOrderEvent.note),
                col(SalesOrderEvent.at),
                col(SalesOrder.total),
                col(User.username),
            )
            .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderEvent.order_id))
            .outerjoin(User, col(User.id) == col(SalesOrderEvent.user_id))
            .where(col(SalesOrder.customer_id) == customer_id)
            .order_by(col(SalesOrderEvent.id).desc())
            .limit(limit)
        )
        return list(await self.session.execute(stmt))

    async def returns(self, customer_id: int, limit: int) -> Sequence[ReturnAuthorization]:
        stmt = (
            select(ReturnAuthorization)
            .where(col(ReturnAuthorization.customer_id) == customer_id)
            .order_by(col(ReturnAuthorization.id).desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def credit_releases(
        self, customer_id: int, limit: int
    ) -> list[tuple[CreditRelease, str | None, str | None]]:
        stmt: Any = (
            select(CreditRelease, col(SalesOrder.number), col(User.username))
            .join(SalesOrder, col(SalesOrder.id) == col(CreditRelease.order_id))
            .outerjoin(User, col(User.id) == col(CreditRelease.released_by))
            .where(col(SalesOrder.customer_id) == customer_id)
            .order_by(col(CreditRelease.id).desc())
            .limit(limit)
        )
        return [(r[0], r[1], r[2]) for r in await self.session.execute(stmt)]
