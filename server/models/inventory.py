"""Inventory control documents: count sessions, count plans and tasks, inter-warehouse
transfers and reason-coded adjustments. Stock itself changes only through the ledger; these
tables say why, who and what was found."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.models.base import qty_field, ts_field


class CountStatus(StrEnum):
    open = "open"  # locations are being counted
    review = "review"  # closed; some locations wait for a recount or an approval
    done = "done"  # every variance posted (or none found)
    cancelled = "cancelled"


class CountLocationStatus(StrEnum):
    pending = "pending"  # not claimed yet (or sent back for a recount)
    counting = "counting"  # claimed by one counter, snapshot taken
    counted = "counted"  # the counter finished; expected quantities computed
    review = "review"  # a variance beyond the threshold: recount or approve
    done = "done"  # variances posted
    skipped = "skipped"  # the session closed without counting it


class CountLineStatus(StrEnum):
    counting = "counting"
    counted = "counted"
    ok = "ok"  # no variance
    review = "review"
    posting = "posting"  # submitted to the ledger; its event_id makes a retry safe
    posted = "posted"
    failed = "failed"  # the ledger refused the correction (see ``error``)
    superseded = "superseded"  # replaced by a recount


class CountSession(SQLModel, table=True):
    __tablename__ = "count_session"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    status: CountStatus = Field(default=CountStatus.open, sa_type=String(12))
    blind: bool = False
    # What was asked for, for people: "zone A", "products X, Y", "class A", "tasks"…
    scope: str = Field(default="", max_length=500)
    # Products counted (comma-separated ids); empty: every product found.
    product_ids: str = Field(default="", max_length=4000)
    threshold_qty: Decimal = qty_field()
    threshold_value: Decimal = qty_field()
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    closed_at: datetime | None = ts_field(nullable=True)
    done_at: datetime | None = ts_field(nullable=True)


class CountLocation(SQLModel, table=True):
    """One location of a session: claimed by one counter at a time, snapshotted when its
    count starts."""

    __tablename__ = "count_location"
    __table_args__ = (UniqueConstraint("session_id", "location_id", name="uq_count_location"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="count_session.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    status: CountLocationStatus = Field(default=CountLocationStatus.pending, sa_type=String(10))
    round: int = 1
    counter_id: int | None = Field(default=None, foreign_key="app_user.id")
    snapshot_seq: int | None = Field(default=None, sa_type=BigInteger)
    started_at: datetime | None = ts_field(nullable=True)
    finished_seq: int | None = Field(default=None, sa_type=BigInteger)
    finished_at: datetime | None = ts_field(nullable=True)


class CountLine(SQLModel, table=True):
    """One (product, lot) at one counted location, in one round.

    ``book_qty`` is the snapshot when the location's count started; ``expected_qty`` the
    book when this line was last counted (snapshot + the moves in between), so stock that
    moves during the count is not a variance.
    """

    __tablename__ = "count_line"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="count_session.id", index=True)
    count_location_id: int = Field(foreign_key="count_location.id", index=True)
    round: int = 1
    product_id: int = Field(foreign_key="product.id")
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    lot_number: str | None = Field(default=None, max_length=64)
    status: CountLineStatus = Field(default=CountLineStatus.counting, sa_type=String(12))
    book_qty: Decimal = qty_field(default=Decimal(0))
    counted_qty: Decimal = qty_field(default=Decimal(0))
    scanned: bool = False  # at least one scan (else the product was in the book, not found)
    first_seq: int | None = Field(default=None, sa_type=BigInteger)
    counted_seq: int | None = Field(default=None, sa_type=BigInteger)
    counted_at: datetime | None = ts_field(nullable=True)
    expected_qty: Decimal | None = qty_field(default=None, nullable=True)
    variance: Decimal | None = qty_field(default=None, nullable=True)
    variance_value: Decimal | None = qty_field(default=None, nullable=True)
    moved_during_count: bool = False
    event_id: str | None = Field(default=None, max_length=36)
    seq: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, max_length=500)
    approved_by: int | None = Field(default=None, foreign_key="app_user.id")


class CountEntry(SQLModel, table=True):
    """Each counting scan, once per ``event_id``: a retried scan never counts twice."""

    __tablename__ = "count_entry"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    line_id: int = Field(foreign_key="count_line.id", index=True)
    qty: Decimal = qty_field()
    replace: bool = False  # set the line's quantity instead of adding to it
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    seq: int = Field(default=0, sa_type=BigInteger)  # the ledger head when it was counted
    created_at: datetime = ts_field()


class CountPlan(SQLModel, table=True):
    """How often each ABC class is counted in a warehouse."""

    __tablename__ = "count_plan"
    __table_args__ = (UniqueConstraint("warehouse_id", "abc_class", name="uq_count_plan"),)

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    abc_class: str = Field(max_length=1)
    interval_days: int


class CountTaskStatus(StrEnum):
    open = "open"
    done = "done"


class CountTask(SQLModel, table=True):
    """A product due for counting in a warehouse; at most one open task per pair."""

    __tablename__ = "count_task"

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    abc_class: str = Field(max_length=1)
    due_date: date
    status: CountTaskStatus = Field(default=CountTaskStatus.open, sa_type=String(8))
    # "<warehouse>:<product>" while open, NULL once done: one open task per pair.
    open_key: str | None = Field(default=None, max_length=64, unique=True)
    session_id: int | None = Field(default=None, foreign_key="count_session.id")
    created_at: datetime = ts_field()
    done_at: datetime | None = ts_field(nullable=True)


class TransferStatus(StrEnum):
    open = "open"  # shipping: scans move stock into the source's in-transit location
    in_transit = "in-transit"  # dispatched: receiving at the destination
    received = "received"  # everything shipped was received
    discrepancy = "discrepancy"  # received short; the shortage was written off


class Transfer(SQLModel, table=True):
    """An inter-warehouse transfer. Its quantities are read from the ledger (moves whose
    ``reference`` is the number); lines hold the plan and, once complete, the outcome."""

    __tablename__ = "transfer"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    from_warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    to_warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    status: TransferStatus = Field(default=TransferStatus.open, sa_type=String(12))
    note: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    dispatched_at: datetime | None = ts_field(nullable=True)
    completed_at: datetime | None = ts_field(nullable=True)


class TransferLine(SQLModel, table=True):
    __tablename__ = "transfer_line"

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    lot_number: str | None = Field(default=None, max_length=64)
    planned_qty: Decimal | None = qty_field(default=None, nullable=True)
    shipped_qty: Decimal = qty_field(default=Decimal(0))
    received_qty: Decimal = qty_field(default=Decimal(0))
    short_qty: Decimal = qty_field(default=Decimal(0))


class AdjustmentReason(StrEnum):
    damage = "damage"
    loss = "loss"
    found = "found"
    scrap = "scrap"


class AdjustmentStatus(StrEnum):
    pending = "pending"  # beyond the approval threshold: waits for a supervisor
    posted = "posted"
    rejected = "rejected"  # a supervisor said no
    failed = "failed"  # the ledger refused it (see ``error``)


class Adjustment(SQLModel, table=True):
    __tablename__ = "adjustment"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=32, unique=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    product_id: int = Field(foreign_key="product.id")
    code: str = Field(max_length=512)  # as scanned (a GS1 label carries the lot)
    lot_number: str | None = Field(default=None, max_length=64)
    qty: Decimal = qty_field()  # signed: found adds, the other reasons remove
    value: Decimal = qty_field()
    reason: AdjustmentReason = Field(sa_type=String(8))
    note: str | None = Field(default=None, max_length=150)
    status: AdjustmentStatus = Field(sa_type=String(8))
    event_id: str = Field(max_length=36, unique=True)
    seq: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, max_length=500)
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    decided_at: datetime | None = ts_field(nullable=True)
