"""Quantities: exact decimals with three places, stored as integer thousandths.

Floats would break the ledger's sum-to-zero invariant, and SQLite has no decimal type,
so every quantity column stores ``qty * 1000`` as a BIGINT: exact on every database,
and SQL sums stay exact too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer
from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SCALE = 1000
PLACES = Decimal("0.001")
ZERO = Decimal(0)


def to_milli(value: Decimal) -> int:
    return int((value * SCALE).to_integral_exact())


def from_milli(value: int) -> Decimal:
    return (Decimal(value) / SCALE).quantize(PLACES)


def has_valid_places(value: Decimal) -> bool:
    return value == value.quantize(PLACES)


def qty_json(value: Decimal) -> int | float:
    """JSON form: an integer when whole, else a float (at most three places)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


class QuantityType(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else to_milli(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_milli(int(value))


Qty = Annotated[Decimal, PlainSerializer(qty_json, return_type=int | float)]
