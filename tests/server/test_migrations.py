"""The Alembic migrations and the SQLModel tables describe one schema, on both databases:
a model change without its migration fails here, not in production."""

from __future__ import annotations

import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table on SQLModel.metadata)
from server.settings import sync_url


def _diff(url: str) -> list[Any]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect uq_quant_key (on COALESCE(lot_id, 0)); PostgreSQL does.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", ".*expression-based index .uq_quant_key")
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            return [d for d in compare_metadata(context, SQLModel.metadata) if not _ignored(d)]
    finally:
        engine.dispose()


def _ignored(diff: Any) -> bool:
    # Alembic's own version table is not a model.
    return bool(diff[0] == "remove_table" and diff[1].name == "alembic_version")


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert _diff(database_url) == []
