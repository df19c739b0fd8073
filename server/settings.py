"""All configuration, from the environment (prefix ``JXC_``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-jxc-dev-only-placeholder-secret"  # refused outside dev mode


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JXC_", extra="ignore")

    env: Literal["dev", "production"] = "production"
    database_url: str = "sqlite:///./jxc.db"
    broker_url: str = "memory://"
    broker_channel: str = "jxc"
    secret_key: str = PLACEHOLDER_SECRET
    token_minutes: int = Field(default=12 * 60, gt=0)

    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    max_image_bytes: int = Field(default=16 * 1024 * 1024, gt=0)  # POST /api/decode
    decode_concurrency: int = Field(default=2, gt=0)  # images decoded at once (CPU-bound)
    max_scan_qty: int = Field(default=1_000_000, gt=0)
    max_batch: int = Field(default=500, gt=0)
    writer_queue: int = Field(default=10_000, gt=0)
    stream_queue: int = Field(default=2_000, gt=0)
    stream_catchup_max: int = Field(default=50_000, gt=0)
    stream_poll_seconds: float = Field(default=1.0, gt=0)
    ws_inflight: int = Field(default=1_000, gt=0)
    # Inventory control: a count variance beyond either threshold (absolute quantity, or
    # value at unit cost) waits for a recount or a supervisor's approval; so does an
    # adjustment beyond its pair. A count session may set its own.
    count_variance_qty: Decimal = Field(default=Decimal(10), ge=0)
    count_variance_value: Decimal = Field(default=Decimal(500), ge=0)
    adjust_approval_qty: Decimal = Field(default=Decimal(10), ge=0)
    adjust_approval_value: Decimal = Field(default=Decimal(500), ge=0)
    # Alerts: a lot expiring within this many days is "expiring"; every process also
    # re-evaluates every alert this often (time passes: lots expire without a move).
    expiry_alert_days: int = Field(default=30, ge=0)
    alert_sweep_seconds: float = Field(default=300.0, gt=0)
    # At most one re-judging of moved products per this many seconds under load: the moves
    # of every batch committed meanwhile are judged together (the first after a pause at once).
    alert_coalesce_seconds: float = Field(default=0.25, ge=0, le=10)
    # permessage-deflate costs more CPU than it saves on jxc's small JSON messages.
    ws_deflate: bool = False
    # FastAPI's OpenTelemetry hooks: off unless asked for (each request otherwise pays for
    # looking up a tracer provider that is not there).
    otel: bool = False
    # Inbound: receiving beyond ordered x (1 + tolerance) is refused ("reject") or accepted
    # with a flag ("warn"); within the tolerance it is always accepted and flagged. An item
    # not on the PO is refused or flagged likewise. A lot with less remaining shelf life
    # than this (a product may set its own) is short-dated: flagged, or refused.
    over_receipt_tolerance: Decimal = Field(default=Decimal("0.05"), ge=0, le=10)
    over_receipt_policy: Literal["warn", "reject"] = "reject"
    unexpected_item_policy: Literal["warn", "reject"] = "reject"
    min_shelf_life_days: int = Field(default=0, ge=0)
    short_dated_policy: Literal["warn", "reject"] = "warn"
    # Supplier qualifications expiring within this many days raise an alert.
    qualification_alert_days: int = Field(default=30, ge=0)
    # Confirming a PO beyond its month's budget warns; beyond budget x this it is refused.
    budget_hard_limit: Decimal = Field(default=Decimal("1.10"), ge=1)

    # Outbound: what a sales order confirmation cannot reserve is back-ordered (true) or the
    # confirmation is refused (false); an order may say otherwise.
    sales_backorder: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.env != "dev" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "JXC_SECRET_KEY is the placeholder; set a long random secret "
                "(or JXC_ENV=dev for a local demo)"
            )
        if self.stream_queue < self.max_batch:
            # One batch fans out at once: a smaller queue would resync even a fast subscriber.
            raise ValueError("JXC_STREAM_QUEUE must be at least JXC_MAX_BATCH")
        if len(self.secret_key.encode()) < 32:
            raise ValueError("JXC_SECRET_KEY must be at least 32 bytes (HS256 needs 256 bits)")
        return self

    @property
    def async_database_url(self) -> str:
        return async_url(self.database_url)


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (the ledger writer's thread)."""
    url = async_url(url)
    for driver, sync in (
        ("sqlite+aiosqlite://", "sqlite+pysqlite://"),
        ("postgresql+asyncpg://", "postgresql+psycopg://"),
    ):
        if url.startswith(driver):
            return sync + url[len(driver) :]
    return url


def async_url(url: str) -> str:
    """Accept plain ``sqlite://`` / ``postgresql://`` URLs and pick the async driver."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
