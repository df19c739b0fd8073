"""Forwarding one device's outbox to the server over ``WS /ws/scans``.

One WebSocket per device (its API key is its identity on the server). Reads are sent
pipelined, oldest first, up to ``window`` unanswered; the server answers each scan in order.
``applied`` and ``duplicate`` remove the read from the outbox, ``rejected`` moves it to the
dead letters. When the connection drops, everything unanswered stays in the outbox and is
sent again, with the same event ids, after a backoff: the server applies each at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, WebSocketException

from hardware.link import Backoff, describe
from hardware.outbox import Outbox, Rejection

log = logging.getLogger("jxc.agent.forward")

# Rejections that say "not now" rather than "never": retried, not dead-lettered.
TRANSIENT = frozenset({"unavailable"})
MAX_MESSAGE = 1 << 20  # one answer is a few hundred bytes


class SessionEnded(Exception):
    """Drop this connection and start again after a backoff (nothing is lost)."""


class Forwarder:
    """Sends ``device``'s reads from the outbox and settles them by the server's answers.
    ``state`` is "connected", "connecting", "disconnected" or "refused" (bad API key)."""

    def __init__(
        self,
        device: str,
        url: str,
        api_key: str,
        outbox: Outbox,
        *,
        reference: str | None = None,
        window: int = 256,
        batch: int = 64,
        answer_timeout: float = 30.0,
        backoff: Backoff | None = None,
        on_state: Callable[[str, str | None], Awaitable[None]] | None = None,
    ) -> None:
        self.device, self.url, self.api_key, self.outbox = device, url, api_key, outbox
        self.reference = reference
        self.window, self.batch, self.answer_timeout = (
            window,
            max(1, min(batch, window)),
            answer_timeout,
        )
        self.backoff = backoff or Backoff(maximum=30.0)
        self.on_state = on_state
        self.wake = asyncio.Event()  # set after a read was written to the outbox
        self.state: str = "disconnected"
        self.error: str | None = None
        self.sent = self.acked = self.dead = 0

    async def run(self) -> None:
        """Forward until cancelled; never gives up (a read is never dropped)."""
        while True:
            await self._set_state("connecting", self.error)
            try:
                async with connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {self.api_key}"},
                    open_timeout=10,
                    close_timeout=2,
                    ping_interval=20,
                    ping_timeout=20,
                    max_size=MAX_MESSAGE,
                    max_queue=64,
                    compression=None,  # small JSON: deflate costs more than it saves
                ) as ws:
                    await self._set_state("connected", None)
                    log.info("%s: connected to %s", self.device, self.url)
                    await self._session(ws)
            except InvalidStatus as exc:
                status = exc.response.status_code
                refused = status in (401, 403)
                why = _denial(exc)
                await self._set_state("refused" if refused else "disconnected", why)
                log.error("%s: the server refused the connection: %s", self.device, why)
                if refused:  # a key being fixed on the server: no hammering
                    self.backoff.attempts = max(self.backoff.attempts, 5)
            except (
                OSError,
                TimeoutError,
                InvalidHandshake,
                WebSocketException,
                SessionEnded,
            ) as exc:
                await self._set_state("disconnected", describe(exc))
                log.warning("%s: %s; reconnecting", self.device, describe(exc))
            except InvalidURI as exc:  # a config error the validation missed: keep reads
                await self._set_state("disconnected", describe(exc))
            await asyncio.sleep(self.backoff.next())

    async def _set_state(self, state: str, error: str | None) -> None:
        if (state, error) == (self.state, self.error):
            return
        self.state, self.error = state, error
        if self.on_state is not None:
            await self.on_state(state, error)

    async def _session(self, ws: ClientConnection) -> None:
        inflight: deque[tuple[int, str]] = deque()  # (outbox row, event id), in send order
        acked: list[int] = []
        rejected: list[tuple[int, Rejection]] = []
        room = asyncio.Event()
        room.set()
        answered = asyncio.Event()

        async def send() -> None:
            cursor = 0  # every unanswered read is sent again on a new connection
            while True:
                free = self.window - len(inflight)
                if free <= 0:
                    room.clear()
                    await room.wait()
                    continue
                rows = await self.outbox.batch(self.device, cursor, min(self.batch, free))
                if not rows:
                    self.wake.clear()
                    rows = await self.outbox.batch(self.device, cursor, min(self.batch, free))
                    if not rows:
                        await self.wake.wait()
                        continue
                inflight.extend((row_id, read.event_id) for row_id, read in rows)
                message = [read.scan(self.reference) for _, read in rows]
                await ws.send(json.dumps(message, separators=(",", ":")))
                self.sent += len(rows)
                cursor = rows[-1][0]

        async def receive() -> None:
            while True:
                try:
                    async with asyncio.timeout(self.answer_timeout):  # cancel-safe on 3.11
                        message = await ws.recv()
                except TimeoutError:
                    if inflight:
                        raise SessionEnded(
                            f"no answer from the server for {self.answer_timeout:g} s"
                        ) from None
                    continue
                self._answer(_load(message), inflight, acked, rejected)
                room.set()
                answered.set()

        async def settle() -> None:
            while True:
                await answered.wait()
                answered.clear()
                await self._settle(acked, rejected)

        tasks = [asyncio.create_task(t()) for t in (send, receive, settle)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # raise what ended the session
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._settle(acked, rejected)  # answers already received still count

    def _answer(
        self,
        result: dict[str, Any],
        inflight: deque[tuple[int, str]],
        acked: list[int],
        rejected: list[tuple[int, Rejection]],
    ) -> None:
        if not inflight:
            raise SessionEnded(f"an answer for nothing sent: {str(result)[:200]}")
        row_id, event_id = inflight[0]
        if result.get("event_id") not in (None, event_id):
            raise SessionEnded(f"answer for {result.get('event_id')} while expecting {event_id}")
        status = result.get("status")
        if status in ("applied", "duplicate"):
            acked.append(row_id)
        elif status == "rejected":
            error = result.get("error") or {}
            code = str(error.get("code") or "rejected")
            if code in TRANSIENT:
                raise SessionEnded(f"the server is busy ({code}): {error.get('message')}")
            details = error.get("details")
            rejected.append(
                (
                    row_id,
                    Rejection(
                        code,
                        str(error.get("message") or ""),
                        details if isinstance(details, dict) else None,
                    ),
                )
            )
            log.warning(
                "%s: read %s rejected: %s %s", self.device, event_id, code, error.get("message")
            )
        else:
            raise SessionEnded(f"an answer without a status: {str(result)[:200]}")
        inflight.popleft()

    async def _settle(self, acked: list[int], rejected: list[tuple[int, Rejection]]) -> None:
        if not acked and not rejected:
            return
        ack, dead = acked[:], rejected[:]
        await self.outbox.settle(ack, dead)
        del acked[: len(ack)], rejected[: len(dead)]
        self.acked += len(ack)
        self.dead += len(dead)
        self.backoff.reset()  # the server is answering


def _load(message: str | bytes) -> dict[str, Any]:
    try:
        result = json.loads(message)
    except ValueError as exc:
        raise SessionEnded("an answer that is not JSON") from exc
    if not isinstance(result, dict):
        raise SessionEnded(f"an answer that is not an object: {str(result)[:200]}")
    return result


def _denial(exc: InvalidStatus) -> str:
    """The server's JSON error on a refused handshake, as one line."""
    response = exc.response
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        error = json.loads(response.body or b"")["error"]
        return f"HTTP {response.status_code} {error['code']}: {error['message']}"
    return f"HTTP {response.status_code}"
