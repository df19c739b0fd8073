from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.deps import StateDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(state: StateDep) -> dict[str, object] | JSONResponse:
    """Readiness: the database and the broker answer, and the scan writer runs."""
    checks: dict[str, str] = {}
    for name, probe in (("database", state.db.ping), ("broker", state.broker.ping)):
        try:
            await probe()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    checks["writer"] = "ok" if state.writer.running else "stopped"
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": checks, "seq": state.hub.last_seq}
    return body if ok else JSONResponse(body, status_code=503)
