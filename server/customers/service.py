"""Customers (客户): records with contacts and addresses, notes, payments, credit, history.

Credit is judged on money the books already hold: receivables are what shipped orders
invoiced less payments and return credits; exposure adds the value of open orders
(confirmed, not shipped yet). ``credit()`` is the one place that adds them up; the sales
service asks it before confirming an order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from server import errors
from server.auth.principal import CATALOG_ROLES, Principal
from server.customers.repository import CustomersRepository
from server.customers.schemas import (
    AddressIn,
    AddressPublic,
    ContactIn,
    ContactPublic,
    CreditPublic,
    CustomerCreate,
    CustomerHistory,
    CustomerPublic,
    CustomerUpdate,
    HistoryEntry,
    NoteIn,
    NotePublic,
    PaymentIn,
    PaymentPublic,
    ProductBought,
    PurchaseLine,
    PurchaseOrder,
    PurchaseSummary,
)
from server.kit.quantity import ZERO
from server.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerNote,
    CustomerPayment,
    SalesOrderStatus,
)

SALES_ROLES = CATALOG_ROLES  # who keeps customers, orders and credit (supervisors, admins)


@dataclass(frozen=True, slots=True)
class Credit:
    limit: Decimal | None
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    open_orders: Decimal

    @property
    def receivables(self) -> Decimal:
        return self.invoiced - self.paid - self.credited

    @property
    def exposure(self) -> Decimal:
        return self.receivables + self.open_orders

    def allows(self, extra: Decimal) -> bool:
        """Whether receivables + ``extra`` (an order's, a shipment's value) stay within the
        limit."""
        return self.limit is None or self.receivables + extra <= self.limit

    def public(self) -> CreditPublic:
        return CreditPublic(
            credit_limit=self.limit,
            invoiced=self.invoiced,
            paid=self.paid,
            credited=self.credited,
            receivables=self.receivables,
            open_orders=self.open_orders,
            exposure=self.exposure,
            available=None if self.limit is None else self.limit - self.receivables,
            over_limit=not self.allows(ZERO),
        )


def address_text(a: CustomerAddress | AddressIn) -> str:
    """An address as printed on a delivery note, one part per line."""
    parts = [
        a.line1,
        a.line2,
        " ".join(p for p in (a.postal_code, a.city) if p),
        a.region,
        a.country,
    ]
    return "\n".join(p for p in parts if p)


class CustomerService:
    def __init__(self, repo: CustomersRepository, who: Principal) -> None:
        self.repo = repo
        self.who = who

    async def get(self, code: str) -> Customer:
        customer = await self.repo.by_code(code)
        if customer is None or customer.id is None:
            raise errors.NotFound(f"No customer {code}.")
        return customer

    async def credit(self, customer: Customer, exclude_order: int | None = None) -> Credit:
        assert customer.id is not None
        return Credit(
            limit=customer.credit_limit,
            invoiced=await self.repo.invoiced(customer.id),
            paid=await self.repo.paid(customer.id),
            credited=await self.repo.credited(customer.id),
            open_orders=await self.repo.open_orders(customer.id, exclude_order),
        )

    async def public(self, customer: Customer) -> CustomerPublic:
        assert customer.id is not None
        return CustomerPublic(
            code=customer.code,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            tax_id=customer.tax_id,
            price_level=customer.price_level,
            credit_limit=customer.credit_limit,
            payment_terms_days=customer.payment_terms_days,
            active=customer.active,
            created_at=customer.created_at,
            contacts=[
                ContactPublic(id=c.id or 0, name=c.name, role=c.role, email=c.email, phone=c.phone)
                for c in await self.repo.contacts(customer.id)
            ],
            addresses=[_address_public(a) for a in await self.repo.addresses(customer.id)],
            credit=(await self.credit(customer)).public(),
        )

    async def create(self, data: CustomerCreate) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "create customers")
        if await self.repo.by_code(data.code):
            raise errors.AlreadyExists(f"Customer {data.code} already exists.")
        customer = Customer(**data.model_dump(exclude={"contacts", "addresses"}))
        await self.repo.add(customer)
        assert customer.id is not None
        for contact in data.contacts:
            await self.repo.add(CustomerContact(customer_id=customer.id, **contact.model_dump()))
        defaults = [a for a in data.addresses if a.is_default] or data.addresses[:1]
        for address in data.addresses:
            fields = address.model_dump() | {"is_default": address is defaults[0]}
            await self.repo.add(CustomerAddress(customer_id=customer.id, **fields))
        return await self.public(customer)

    async def listing(
        self, q: str | None, include_inactive: bool, limit: int, offset: int
    ) -> list[CustomerPublic]:
        return [
            await self.public(c)
            for c in await self.repo.listing(q, include_inactive, limit, offset)
        ]

    async def update(self, code: str, data: CustomerUpdate) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "change customers")
        customer = await self.get(code)
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(customer, key, value)
        await self.repo.add(customer)
        return await self.public(customer)

    async def add_contact(self, code: str, data: ContactIn) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "change customers")
        customer = await self.get(code)
        assert customer.id is not None
        await self.repo.add(CustomerContact(customer_id=customer.id, **data.model_dump()))
        return await self.public(customer)

    async def remove_contact(self, code: str, contact_id: int) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "change customers")
        customer = await self.get(code)
        assert customer.id is not None
        contact = await self.repo.contact(customer.id, contact_id)
        if contact is None:
            raise errors.NotFound(f"Customer {code} has no contact {contact_id}.")
        await self.repo.delete(contact)
        return await self.public(customer)

    async def add_address(self, code: str, data: AddressIn) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "change customers")
        customer = await self.get(code)
        assert customer.id is not None
        existing = await self.repo.addresses(customer.id)
        default = data.is_default or not existing
        if default:
            for other in existing:
                if other.is_default:
                    other.is_default = False
                    await self.repo.add(other)
        fields = data.model_dump() | {"is_default": default}
        await self.repo.add(CustomerAddress(customer_id=customer.id, **fields))
        return await self.public(customer)

    async def remove_address(self, code: str, address_id: int) -> CustomerPublic:
        self.who.check_role(SALES_ROLES, "change customers")
        customer = await self.get(code)
        assert customer.id is not None
        address = await self.repo.address(customer.id, address_id)
        if address is None:
            raise errors.NotFound(f"Customer {code} has no address {address_id}.")
        await self.repo.delete(address)
        return await self.public(customer)

    async def default_address(self, customer: Customer) -> str | None:
        assert customer.id is not None
        addresses = await self.repo.addresses(customer.id)
        chosen = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        return address_text(chosen) if chosen is not None else None

    async def add_note(self, code: str, data: NoteIn) -> NotePublic:
        self.who.check_role(SALES_ROLES, "write customer notes")
        customer = await self.get(code)
        assert customer.id is not None
        note = CustomerNote(
            customer_id=customer.id, kind=data.kind, text=data.text, author_id=self.who.user_id
        )
        await self.repo.add(note)
        return NotePublic(
            id=note.id or 0,
            kind=note.kind,
            text=note.text,
            author=self.who.name,
            created_at=note.created_at,
        )

    async def notes(self, code: str) -> list[NotePublic]:
        customer = await self.get(code)
        assert customer.id is not None
        return [
            NotePublic(
                id=n.id or 0, kind=n.kind, text=n.text, author=author, created_at=n.created_at
            )
            for n, author in await self.repo.notes(customer.id)
        ]

    async def record_payment(self, code: str, data: PaymentIn) -> PaymentPublic:
        self.who.check_role(SALES_ROLES, "record payments")
        customer = await self.get(code)
        assert customer.id is not None
        payment = CustomerPayment(
            customer_id=customer.id,
            amount=data.amount,
            reference=data.reference,
            note=data.note,
            received_at=data.received_at or datetime.now(UTC),
            recorded_by=self.who.user_id,
        )
        await self.repo.add(payment)
        return _payment_public(payment, self.who.name)

    async def payments(self, code: str) -> list[PaymentPublic]:
        customer = await self.get(code)
        assert customer.id is not None
        return [_payment_public(p, who) for p, who in await self.repo.payments(customer.id)]

    async def credit_of(self, code: str) -> CreditPublic:
        return (await self.credit(await self.get(code))).public()

    async def history(self, code: str, limit: int) -> CustomerHistory:
        """Purchase history (orders, lines, amounts, last order, frequency, products bought)
        and a timeline of everything that happened with the customer."""
        customer = await self.get(code)
        assert customer.id is not None
        orders = await self.repo.orders(customer.id, limit)
        lines: dict[int, list[PurchaseLine]] = defaultdict(list)
        bought: dict[str, list[Any]] = {}
        accepted = [
            o
            for o in orders
            if o.status not in (SalesOrderStatus.draft, SalesOrderStatus.cancelled)
        ]
        counted = {o.id for o in accepted}
        for ln, sku, name in await self.repo.order_lines([o.id for o in orders if o.id]):
            amount = (ln.qty * ln.unit_price).quantize(Decimal("0.001"))
            lines[ln.order_id].append(
                PurchaseLine(
                    sku=sku,
                    name=name,
                    qty=ln.qty,
                    unit_price=ln.unit_price,
                    amount=amount,
                    shipped=ln.shipped_qty,
                    returned=ln.returned_qty,
                )
            )
            if ln.order_id in counted:
                entry = bought.setdefault(sku, [name, 0, ZERO, ZERO])
                entry[1] += 1
                entry[2] += ln.qty
                entry[3] += amount
        dates = sorted(o.created_at for o in accepted)
        gaps = [(b - a).total_seconds() / 86400 for a, b in pairwise(dates)]
        months = max((dates[-1] - dates[0]).days / 30.44, 1.0) if dates else None
        summary = PurchaseSummary(
            orders=len(accepted),
            total_ordered=sum((o.total for o in accepted), ZERO),
            total_invoiced=sum((o.invoiced_amount for o in accepted), ZERO),
            first_order_at=dates[0] if dates else None,
            last_order_at=dates[-1] if dates else None,
            avg_days_between_orders=round(sum(gaps) / len(gaps), 2) if gaps else None,
            orders_per_month=round(len(dates) / months, 2) if months else None,
        )
        return CustomerHistory(
            summary=summary,
            orders=[
                PurchaseOrder(
                    number=o.number or "",
                    status=o.status,
                    created_at=o.created_at,
                    shipped_at=o.shipped_at,
                    delivered_at=o.delivered_at,
                    total=o.total,
                    invoiced=o.invoiced_amount,
                    lines=lines.get(o.id or 0, []),
                )
                for o in orders
            ],
            products=sorted(
                (
                    ProductBought(sku=sku, name=v[0], orders=v[1], qty=v[2], amount=v[3])
                    for sku, v in bought.items()
                ),
                key=lambda p: (-p.amount, p.sku),
            ),
            timeline=await self.timeline(customer.id, limit),
        )

    async def timeline(self, cid: int, limit: int) -> list[HistoryEntry]:
        """Orders and their status changes, payments, returns, credit releases and notes."""
        entries: list[HistoryEntry] = []
        for row in await self.repo.order_events(cid, limit):
            number, old, new, note, at, total, user = tuple(row)
            text = f"{number}: {old} -> {new}" if old else f"{number} created ({new})"
            if note:
                text += f" — {note}"
            if user:
                text += f" (by {user})"
            kind = "order" if old is None else "order_status"
            entries.append(
                HistoryEntry(
                    at=at,
                    kind=kind,
                    reference=number,
                    text=text,
                    amount=total if kind == "order" else None,
                )
            )
        for p, who in await self.repo.payments(cid):
            text = f"Payment {p.reference or ''}".rstrip() + (f" (by {who})" if who else "")
            entries.append(
                HistoryEntry(
                    at=p.received_at,
                    kind="payment",
                    reference=p.reference,
                    text=text,
                    amount=p.amount,
                )
            )
        for r in await self.repo.returns(cid, limit):
            entries.append(
                HistoryEntry(
                    at=r.created_at,
                    kind="return",
                    reference=r.number,
                    text=f"Return {r.number} ({r.status})" + (f": {r.note}" if r.note else ""),
                    amount=r.credit_amount,
                )
            )
        for release, number, who in await self.repo.credit_releases(cid, limit):
            entries.append(
                HistoryEntry(
                    at=release.released_at,
                    kind="credit_release",
                    reference=number,
                    text=f"Credit hold on {number} released by {who}: {release.reason}",
                    amount=release.exposure,
                )
            )
        for note, author in await self.repo.notes(cid):
            entries.append(
                HistoryEntry(
                    at=note.created_at,
                    kind=note.kind,
                    reference=None,
                    text=f"{author or '?'}: {note.text}",
                )
            )
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries[:limit]


def _address_public(a: CustomerAddress) -> AddressPublic:
    return AddressPublic(
        id=a.id or 0,
        label=a.label,
        line1=a.line1,
        line2=a.line2,
        city=a.city,
        region=a.region,
        postal_code=a.postal_code,
        country=a.country,
        is_default=a.is_default,
    )


def _payment_public(p: CustomerPayment, who: str | None) -> PaymentPublic:
    return PaymentPublic(
        id=p.id or 0,
        amount=p.amount,
        reference=p.reference,
        note=p.note,
        received_at=p.received_at,
        recorded_by=who,
    )
