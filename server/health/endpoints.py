"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.deps import StateDep

router = APIRouter(tags=["health"])

# A probe that hangs (a half-open connection to Redis or PostgreSQL) is a failed probe:
# the answer must come back in time for the load balancer to act on it.
PROBE_TIMEOUT = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def _check(probe: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except TimeoutError:
        return f"error: no answer within {PROBE_TIMEOUT:g} s"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@router.get("/readyz", response_model=None)
async def readyz(state: StateDep) -> dict[str, object] | JSONResponse:
    """Readiness: the database and the broker answer, and the scan writer runs."""
    database, broker = await asyncio.gather(_check(state.db.ping), _check(state.broker.ping))
    checks = {
        "database": database,
        "broker": broker,
        "writer": "ok" if state.writer.running else "stopped",
    }
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "seq": state.hub.last_seq,
    }
    return body if ok else JSONResponse(body, status_code=503)
