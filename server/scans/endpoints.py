"""The scan API: ``POST /api/scans`` and ``WS /ws/scans``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from server import errors
from server.auth.principal import Principal
from server.deps import AppState, PrincipalDep, StateDep
from server.scans.parse import as_items, load_json
from server.scans.schemas import ScanResult
from server.scans.service import apply_items, submit_items
from server.stream.auth import accept_authenticated

router = APIRouter(tags=["scans"])

_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/ScanIn"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/ScanIn"}},
                ]
            }
        }
    },
}


@router.post(
    "/api/scans",
    openapi_extra={"requestBody": _BODY},
    responses={200: {"model": ScanResult}, 409: {"model": ScanResult}, 422: {"model": ScanResult}},
)
async def post_scans(request: Request, state: StateDep, who: PrincipalDep) -> Response:
    """Apply one scan or a list, in order. One scan: its result, with a 4xx status when it
    was rejected. A list: 200 and one result per scan (a rejected one undoes no other)."""
    items, is_list = as_items(load_json(await request.body()))
    results = await apply_items(state.writer, items, who)
    if is_list:
        body = b"[" + b",".join(r.model_dump_json().encode() for r in results) + b"]"
        return Response(body, media_type="application/json")
    result = results[0]
    status = 200
    if result.status == "rejected" and result.error is not None:
        status = errors.status_for(result.error.code)
    return Response(result.model_dump_json(), status_code=status, media_type="application/json")


@router.websocket("/ws/scans")
async def ws_scans(websocket: WebSocket) -> None:
    """Each message is a scan (or a list of scans); each scan is answered with its result,
    in order. Send many without waiting: answers follow as batches commit."""
    state = websocket.app.state.jxc
    who = await accept_authenticated(websocket, state)
    if who is None:
        return
    pending: asyncio.Queue[tuple[str | None, asyncio.Future[ScanResult]] | None] = asyncio.Queue(
        state.settings.ws_inflight
    )

    async def answer() -> None:
        while (job := await pending.get()) is not None:
            event_id, future = job
            try:
                result = await future
            except errors.AppError as exc:  # the writer is down: say so, keep answering
                result = ScanResult.rejected(event_id, exc.code, exc.message)
            await websocket.send_text(result.model_dump_json())

    sender = asyncio.create_task(answer())
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:  # a binary frame: JSON in UTF-8 is accepted too
                text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            for job in await _submit(state, text, who):
                await pending.put(job)  # bounded: a client that floods waits here
    except WebSocketDisconnect:
        pass
    finally:
        with contextlib.suppress(asyncio.QueueFull):
            pending.put_nowait(None)
        if not sender.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sender, timeout=30)
        sender.cancel()


async def _submit(
    state: AppState, text: str, who: Principal
) -> list[tuple[str | None, asyncio.Future[ScanResult]]]:
    """Each scan's event id (for an answer if the writer fails) and its future result."""
    try:
        items, _ = as_items(load_json(text))
    except errors.AppError as exc:
        done: asyncio.Future[ScanResult] = asyncio.get_running_loop().create_future()
        done.set_result(ScanResult.rejected(None, exc.code, exc.message))
        return [(None, done)]
    try:
        futures = await submit_items(state.writer, items, who)
    except errors.AppError as exc:  # not accepting scans at all (shutting down)
        futures = []
        for _ in items:
            failed: asyncio.Future[ScanResult] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            futures.append(failed)
    return [(_event_id(item), f) for item, f in zip(items, futures, strict=True)]


def _event_id(item: Any) -> str | None:
    value = item.get("event_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
