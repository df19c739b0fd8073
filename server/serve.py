"""Running the app under uvicorn with jxc's limits (shared by the CLI, tests and benchmarks)."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from server.settings import Settings

_DENIAL_NOISE = "ASGI callable returned without completing handshake."


class _DenialNoise(logging.Filter):
    """uvicorn 0.54's WebSocket protocol logs this error even after a proper denial response
    (our HTTP 401/403/404 to a refused handshake). Every jxc socket either accepts or denies,
    so the line is only noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != _DENIAL_NOISE


def uvicorn_config(
    app: FastAPI, settings: Settings, host: str, port: int, **kw: object
) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ws_max_size=settings.max_body_bytes,  # bigger WebSocket messages close the socket
        ws_ping_interval=20,
        ws_per_message_deflate=settings.ws_deflate,
        proxy_headers=True,
        **kw,  # type: ignore[arg-type]
    )
    logging.getLogger("uvicorn.error").addFilter(_DenialNoise())
    return config
