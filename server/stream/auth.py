"""Authenticating a WebSocket before accepting it: a refused handshake gets a real HTTP
401/403 with the usual JSON error (browsers pass the token as ``?token=``)."""

from __future__ import annotations

from typing import Any

from fastapi import WebSocket

from server import errors
from server.auth.principal import Principal


def ws_credential(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return websocket.query_params.get("token")


async def deny(websocket: WebSocket, err: errors.AppError) -> None:
    await websocket.send_denial_response(errors.error_response(err))


async def accept_authenticated(websocket: WebSocket, state: Any) -> Principal | None:
    try:
        who: Principal = await state.auth.principal(ws_credential(websocket))
    except errors.AppError as exc:
        await deny(websocket, exc)
        return None
    await websocket.accept()
    return who
