"""The stream is tested over both brokers (and, through ``database_url``, both databases)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "redis"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)
