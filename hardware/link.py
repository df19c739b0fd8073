"""A device link's health (what the agent reports) and the reconnect backoff every
transport shares."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

State = Literal["connected", "disconnected", "error"]
MAX_ERROR = 500  # the server keeps this much of a device's error


@dataclass
class Health:
    """The link to one device as its adapter last saw it. ``connected``: reads can arrive;
    ``disconnected``: waiting for the device (closed, not yet connected); ``error``: the
    adapter cannot reach it (refused, port missing, permission denied)."""

    state: State = "disconnected"
    error: str | None = None
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    listeners: list[Callable[[Health], None]] = field(default_factory=list, repr=False)

    def up(self) -> None:
        self._set("connected", None)

    def down(self, reason: str | None = None) -> None:
        self._set("disconnected", reason)

    def fail(self, error: str) -> None:
        self._set("error", error)

    def _set(self, state: State, error: str | None) -> None:
        error = error[:MAX_ERROR] if error else None
        if (state, error) == (self.state, self.error):
            return
        self.state, self.error, self.since = state, error, datetime.now(UTC)
        for listener in self.listeners:
            listener(self)


class Backoff:
    """Exponential delays with jitter, bounded: ``initial``, twice that, ... up to
    ``maximum``; each delay is drawn from its upper half so that many agents restarted
    together do not reconnect in step."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        factor: float = 2.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial, self.maximum, self.factor, self._rng = initial, maximum, factor, rng
        self.attempts = 0

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * self.factor**self.attempts)
        self.attempts = min(self.attempts + 1, 64)  # keep the power finite
        return ceiling / 2 + self._rng() * ceiling / 2

    def reset(self) -> None:
        self.attempts = 0


def describe(exc: BaseException) -> str:
    """An exception as one line for a log or a health report."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
