"""Blocking producers on a thread, consumed from the event loop: bounded, stoppable,
errors passed on, the thread gone when the consumer is."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from hardware.aio import closing, iterate_in_thread


async def test_items_in_order_then_the_end() -> None:
    def produce(stop: threading.Event) -> Iterator[int]:
        yield from range(1000)

    assert [i async for i in iterate_in_thread(produce, maxsize=8)] == list(range(1000))


async def test_a_producer_error_reaches_the_consumer() -> None:
    def produce(stop: threading.Event) -> Iterator[int]:
        yield 1
        raise OSError("port vanished")

    got: list[int] = []
    with pytest.raises(OSError, match="port vanished"):
        async for i in iterate_in_thread(produce):
            got.append(i)
    assert got == [1]


async def test_stopping_early_stops_a_blocked_producer_and_waits_for_it() -> None:
    state = {"produced": 0, "released": False}
    threads: list[threading.Thread] = []

    def produce(stop: threading.Event) -> Iterator[int]:
        threads.append(threading.current_thread())
        try:
            while not stop.is_set():  # an endless camera, say
                state["produced"] += 1
                yield state["produced"]
        finally:
            time.sleep(0.05)  # releasing the device takes a moment
            state["released"] = True

    gen = iterate_in_thread(produce, maxsize=4)
    async with closing(gen):
        async for i in gen:
            if i == 3:
                break
    assert state["released"] and not threads[0].is_alive()
    assert state["produced"] <= 3 + 4 + 2  # bounded by the queue, not run away


async def test_cancelling_the_consumer_also_stops_the_thread() -> None:
    stopped = threading.Event()

    def produce(stop: threading.Event) -> Iterator[int]:
        stop.wait()
        stopped.set()
        return
        yield  # pragma: no cover

    async def consume() -> None:
        async with closing(iterate_in_thread(produce)) as items:
            async for _ in items:
                pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()
