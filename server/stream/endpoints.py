"""``WS /ws/stock``: a snapshot (or the moves since ``since``), then every move as it commits."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from server import errors
from server.stream.auth import deny, ws_credential
from server.stream.hub import Frame
from server.stream.service import StreamService

router = APIRouter(tags=["stream"])
RESYNC_CLOSE = 4000  # "you fell behind: reconnect with since=<your last seq>"


@router.websocket("/ws/stock")
async def ws_stock(
    websocket: WebSocket, warehouse: str | None = None, since: str | None = None
) -> None:
    state = websocket.app.state.jxc
    service = StreamService(state.db, state.hub, state.settings)
    try:
        who = await state.auth.principal(ws_credential(websocket))
        after = _seq(since)
        wh = await service.warehouse_filter(who, warehouse)
    except errors.AppError as exc:
        await deny(websocket, exc)
        return
    await websocket.accept()
    sub = state.hub.subscribe(wh)

    async def pump() -> None:
        last = await service.catch_up(sub, wh, after, lambda m: _send(websocket, m))
        while (message := await sub.next()) is not None:
            if message["type"] != "move":  # an alert or a document event: outside the seq order
                await _send(websocket, message)
            elif message["seq"] > last:
                await _send(websocket, message)
                last = message["seq"]
        reason = "too far behind; reconnect with since=<seq>"
        await _send(websocket, {"type": "resync", "seq": last, "reason": reason})
        await websocket.close(RESYNC_CLOSE, "resync")

    tasks = {asyncio.create_task(pump()), asyncio.create_task(_drain(websocket))}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        state.hub.unsubscribe(sub)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for r in results:
            if isinstance(r, Exception) and not isinstance(r, WebSocketDisconnect | RuntimeError):
                raise r


def _seq(raw: str | None) -> int | None:
    """``since`` parsed here, not by FastAPI: a bad one is refused with a 422 and the usual
    JSON error, where FastAPI's WebSocket validation would answer a bare 403."""
    if raw is None:
        return None
    try:
        seq = int(raw)
    except ValueError:
        raise errors.Invalid(f"since must be a seq (a whole number), not {raw[:40]!r}.") from None
    if seq < 0:
        raise errors.Invalid("since must be 0 or more.")
    return seq


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    text = message.text if isinstance(message, Frame) else orjson.dumps(message).decode()
    await websocket.send_text(text)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, text or binary, so a disconnect is noticed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
