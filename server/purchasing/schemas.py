"""Purchase orders and purchasing budgets: the API's shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from server.kit.quantity import Qty

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def amount(**kw: Any) -> Any:
    return Field(allow_inf_nan=False, max_digits=15, decimal_places=3, **kw)


class POLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: str = Field(min_length=1, max_length=64)
    qty: Decimal = amount(gt=0)
    # None: the supplier's price list (the best break the quantity reaches).
    unit_price: Decimal | None = amount(default=None, ge=0)
    expected_date: date | None = None


class POCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    supplier: str = Field(min_length=1, max_length=32)
    warehouse: str = Field(min_length=1, max_length=32)
    expected_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    lines: list[POLineIn] = Field(default_factory=list, max_length=500)


class POUpdate(BaseModel):
    """A draft's changes; ``lines`` replaces every line."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    expected_date: date | None = None
    note: str | None = Field(default=None, max_length=500)
    lines: list[POLineIn] | None = Field(default=None, max_length=500)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # A supervisor's reason to order from a supplier whose qualification has expired.
    override_reason: str | None = Field(default=None, min_length=5, max_length=500)


class SsccIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    ssccs: list[str] = Field(min_length=1, max_length=500)


class POLinePublic(BaseModel):
    line_no: int
    sku: str
    name: str
    qty: Qty
    unit_price: Qty
    amount: Qty
    expected_date: date | None  # the line's, else the PO's
    received: Qty  # from the ledger: receive moves of the PO's receipts
    remaining: Qty  # never below 0
    state: str  # "open" | "partial" | "received" | "over"


class Override(BaseModel):
    by: str | None
    at: datetime | None
    reason: str


class POPublic(BaseModel):
    number: str
    supplier: str
    supplier_name: str
    warehouse: str
    status: str
    currency: str
    expected_date: date | None
    note: str | None
    total: Qty
    created_at: datetime
    confirmed_at: datetime | None
    closed_at: datetime | None
    budget_warning: str | None
    qualification_override: Override | None
    ssccs: list[str]
    receipts: list[str]
    lines: list[POLinePublic]
    warnings: list[str] = Field(default_factory=list)  # what confirming it warned about


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    warehouse: str = Field(min_length=1, max_length=32)
    month: str = Field(pattern=MONTH)
    category: str | None = Field(default=None, min_length=1, max_length=64)
    amount: Decimal = amount(ge=0)


class BudgetPublic(BaseModel):
    warehouse: str
    month: str
    category: str | None
    amount: Qty
    committed: Qty  # confirmed POs of the month (their lines of the category)
    remaining: Qty
    used: float | None  # committed ÷ amount
    hard_limit: Qty  # amount x JXC_BUDGET_HARD_LIMIT: confirming beyond it is refused
