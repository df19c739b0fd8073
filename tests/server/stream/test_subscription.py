"""One subscriber's bounded queue: moves in order, then ``None`` once it overflowed."""

from __future__ import annotations

import asyncio

from server.stream.hub import Subscription


def move(seq: int) -> dict[str, object]:
    return {"type": "move", "seq": seq, "warehouse": "WH1"}


async def test_moves_come_out_in_order() -> None:
    sub = Subscription(None, 3)
    for seq in (1, 2, 3):
        sub.offer(move(seq))
    got = [await asyncio.wait_for(sub.next(), 1) for _ in range(3)]
    assert [m["seq"] for m in got if m] == [1, 2, 3]
    assert not sub.overflowed.is_set()


async def test_overflow_stops_the_queue_and_ends_the_subscriber() -> None:
    sub = Subscription(None, 3)
    for seq in range(1, 11):
        sub.offer(move(seq))
        assert sub.queue.qsize() <= 3
    assert sub.overflowed.is_set()
    assert sub.queue.qsize() == 3
    assert await asyncio.wait_for(sub.next(), 1) is None  # resync, even with moves queued


async def test_a_waiting_subscriber_is_woken_by_a_move_or_by_overflow() -> None:
    sub = Subscription(None, 1)
    waiting = asyncio.create_task(sub.next())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    sub.offer(move(1))
    assert await asyncio.wait_for(waiting, 1) == move(1)

    waiting = asyncio.create_task(sub.next())
    await asyncio.sleep(0.01)
    sub.overflowed.set()
    assert await asyncio.wait_for(waiting, 1) is None


async def test_a_cancelled_wait_leaves_no_task_and_loses_no_move() -> None:
    sub = Subscription(None, 5)
    before = len(asyncio.all_tasks())
    for _ in range(20):
        waiting = asyncio.create_task(sub.next())
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    await asyncio.sleep(0.01)
    assert len(asyncio.all_tasks()) == before
    sub.offer(move(7))
    assert await asyncio.wait_for(sub.next(), 1) == move(7)
