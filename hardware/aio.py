"""Asyncio helpers for the adapters: blocking readers (a serial port, a video decoder) on
their own thread, handed to the event loop through a bounded queue so the loop stays free
and memory stays bounded; and closing any async iterator when done with it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_POLL = 0.2  # how often a blocked producer checks whether it was told to stop


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


async def iterate_in_thread(
    produce: Callable[[threading.Event], Iterator[T]],
    *,
    maxsize: int = 256,
    name: str = "reader",
    join_timeout: float = 5.0,
) -> AsyncIterator[T]:
    """Run ``produce(stop)`` on a thread and yield its items. When the consumer stops (or is
    cancelled), ``stop`` is set and the thread is waited for (up to ``join_timeout``: a
    read stuck in a driver is abandoned to its daemon thread), so whatever it holds (a port,
    a capture) is released before this returns. A producer's exception is re-raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[T | _End] = asyncio.Queue(maxsize)
    stop = threading.Event()

    def hand_over(item: T | _End) -> bool:
        future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while True:
            try:
                future.result(timeout=_POLL)
                return True
            except concurrent.futures.TimeoutError:
                if stop.is_set():
                    future.cancel()
                    return False

    def run() -> None:
        error: BaseException | None = None
        try:
            for item in produce(stop):
                if stop.is_set() or not hand_over(item):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            error = exc
        if not stop.is_set():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                hand_over(_End(error))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        deadline = loop.time() + join_timeout
        while thread.is_alive() and loop.time() < deadline:
            while not queue.empty():  # a producer blocked on a full queue then sees stop
                queue.get_nowait()
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Like ``contextlib.aclosing`` for any async iterator: an async generator is closed
    (its ``finally`` runs now, not whenever it is collected); anything else is left be."""
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
