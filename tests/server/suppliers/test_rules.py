"""The pure rules: qualification states, the scorecard's arithmetic, budget months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from server.models import SupplierQualification
from server.purchasing.service import line_state, month_bounds
from server.suppliers.service import Delivery, qualification_states, scorecard

TODAY = date(2026, 6, 15)


def _q(qid: int, kind: str, expires: date, supplier: int = 1) -> SupplierQualification:
    return SupplierQualification(id=qid, supplier_id=supplier, kind=kind, expires_on=expires)


@pytest.mark.parametrize(
    ("expires", "status", "days"),
    [
        (date(2026, 6, 14), "expired", -1),
        (date(2026, 6, 15), "expiring", 0),  # expires today: still valid today
        (date(2026, 7, 15), "expiring", 30),  # exactly the alert window
        (date(2026, 7, 16), "valid", 31),
    ],
)
def test_a_documents_state_by_its_expiry(expires: date, status: str, days: int) -> None:
    [state] = qualification_states([_q(1, "licence", expires)], TODAY, 30)
    assert (state.status, state.days_left) == (status, days)


def test_the_newest_of_a_kind_counts_per_supplier() -> None:
    states = qualification_states(
        [
            _q(1, "Food Safety", date(2026, 1, 1)),
            _q(2, "food safety", date(2027, 1, 1)),  # same kind, other case: supersedes 1
            _q(3, "food safety", date(2026, 1, 1), supplier=2),  # another supplier's
        ],
        TODAY,
        30,
    )
    assert [s.status for s in states] == ["superseded", "valid", "expired"]


def test_scorecard_arithmetic() -> None:
    d = date(2026, 6, 1)
    card = scorecard(
        "S",
        [
            Delivery(arrived=date(2026, 6, 3), expected=date(2026, 6, 3), confirmed=d),
            Delivery(arrived=date(2026, 6, 5), expected=date(2026, 6, 4), confirmed=d),
            Delivery(arrived=date(2026, 6, 9), expected=None, confirmed=d),  # not rated
        ],
        [(Decimal(10), Decimal(12)), (Decimal(10), Decimal(4))],  # over does not hide short
        received_total=Decimal(16),
        rejected=Decimal(2),
        purchase_orders=2,
    )
    assert (card.deliveries, card.on_time_deliveries, card.on_time_rate) == (2, 1, 0.5)
    assert (card.ordered, card.received, card.fill_rate) == (20, 14, 0.7)
    assert card.quality_pass_rate == 0.875
    assert card.lead_time_days == 4.67  # (2 + 4 + 8) / 3, every delivery (dated or not)


@pytest.mark.parametrize(
    ("qty", "received", "state"),
    [(10, 0, "open"), (10, 3, "partial"), (10, 10, "received"), (10, 11, "over")],
)
def test_line_states(qty: int, received: int, state: str) -> None:
    assert line_state(Decimal(qty), Decimal(received)) == state


def test_budget_months_roll_over_the_year() -> None:
    assert month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert month_bounds("2026-02")[1] == datetime(2026, 3, 1, tzinfo=UTC)
