"""Debian's Chromium driven by Playwright: no browser is ever downloaded at run time.

Without ``/usr/bin/chromium`` (``apt-get install chromium``) the browser tests skip loudly,
or fail when ``CI`` is set, like the PostgreSQL and Redis tests.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright

from tests.backends import IN_CI

CHROMIUM = os.environ.get("JXC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_chromium() -> None:
    """Skip loudly (fail under CI) when the system Chromium is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return
    from tests.conftest import _missing

    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{reason}, and CI is set: these tests must run", pytrace=False)
    _missing.append("Chromium")
    pytest.skip(f"SKIPPED LOUDLY: {reason}; install it to run these tests")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
