"""Running the app under uvicorn with jxc's limits (shared by the CLI, tests and benchmarks)."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from server.settings import Settings


def uvicorn_config(
    app: FastAPI, settings: Settings, host: str, port: int, **kw: object
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ws_max_size=settings.max_body_bytes,  # bigger WebSocket messages close the socket
        ws_ping_interval=20,
        proxy_headers=True,
        **kw,  # type: ignore[arg-type]
    )
