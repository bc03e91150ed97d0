"""The single-timer deadline heap, on a real event loop."""

from __future__ import annotations

import asyncio

from pulse_probe_icmp.deadlines import DeadlineQueue


async def test_items_expire_in_deadline_order_at_their_deadline() -> None:
    loop = asyncio.get_running_loop()
    expired: list[tuple[str, float]] = []
    queue: DeadlineQueue[str] = DeadlineQueue(
        loop, lambda item: expired.append((item, loop.time()))
    )
    start = loop.time()
    queue.add(start + 0.15, "late")
    queue.add(start + 0.05, "early")  # earlier than the armed timer: re-arms it
    queue.add(start + 0.10, "middle")
    await asyncio.sleep(0.25)
    assert [item for item, _ in expired] == ["early", "middle", "late"]
    for (_, at), due in zip(expired, (0.05, 0.10, 0.15), strict=True):
        assert due <= at - start < due + 0.05
    assert len(queue) == 0


async def test_items_with_the_same_deadline_all_expire_in_one_wake_up() -> None:
    loop = asyncio.get_running_loop()
    expired: list[int] = []
    queue: DeadlineQueue[int] = DeadlineQueue(loop, expired.append)
    deadline = loop.time() + 0.02
    for item in range(1000):
        queue.add(deadline, item)
    await asyncio.sleep(0.06)
    assert sorted(expired) == list(range(1000))


async def test_cleared_items_never_expire() -> None:
    loop = asyncio.get_running_loop()
    expired: list[str] = []
    queue: DeadlineQueue[str] = DeadlineQueue(loop, expired.append)
    queue.add(loop.time() + 0.02, "dropped")
    queue.clear()
    await asyncio.sleep(0.05)
    assert expired == []


async def test_items_settled_by_a_firing_are_dropped_there_and_the_rest_still_expire() -> None:
    """Sends whose pings were all answered need no wake-up of their own: the firing before
    drops them; an unsettled item behind them keeps its deadline."""
    loop = asyncio.get_running_loop()
    expired: list[tuple[str, float]] = []
    answered = {"answered 1", "answered 2"}
    queue: DeadlineQueue[str] = DeadlineQueue(
        loop, lambda item: expired.append((item, loop.time())), answered.__contains__
    )
    start = loop.time()
    for offset, item in ((0.02, "first"), (0.04, "answered 1"), (0.06, "answered 2"),
                         (0.08, "silent")):  # fmt: skip
        queue.add(start + offset, item)
    await asyncio.sleep(0.03)
    assert [item for item, _ in expired] == ["first"]
    assert len(queue) == 1  # the answered ones went with the first firing
    await asyncio.sleep(0.1)
    assert [item for item, _ in expired] == ["first", "silent"]
    assert 0.08 <= expired[1][1] - start < 0.13
