"""The event bus: publishing never waits, slow subscribers are dropped, recent events replay."""

from __future__ import annotations

import asyncio
import time

import pytest

from pulse_core.events import EventBus, SubscriberDropped


async def test_subscribers_receive_later_events_in_order_with_increasing_ids() -> None:
    bus: EventBus[str] = EventBus(first_id=1)
    bus.publish("before anyone listens")
    with bus.subscribe(queue_size=10) as subscription:
        bus.publish("a")
        bus.publish("b")
        first, second = await subscription.next(), await subscription.next()
    assert (first.payload, second.payload) == ("a", "b")
    assert (first.id, second.id) == (2, 3)
    assert bus.last_id == 3


async def test_a_filter_keeps_unwanted_events_out_of_the_queue() -> None:
    bus: EventBus[str] = EventBus()
    with bus.subscribe(queue_size=1, accepts=lambda word: word.startswith("keep")) as picky:
        for word in ("skip 1", "keep", "skip 2", "skip 3"):
            bus.publish(word)
        assert not picky.dropped
        assert (await picky.next()).payload == "keep"
        assert picky.pending == 0


async def test_a_full_queue_drops_that_subscriber_only() -> None:
    bus: EventBus[int] = EventBus()
    slow = bus.subscribe(queue_size=2)
    with bus.subscribe(queue_size=100) as fast:
        for number in range(5):
            bus.publish(number)  # returns at once although nobody reads
        assert slow.dropped and not fast.dropped
        assert bus.subscriber_count == 1
        with pytest.raises(SubscriberDropped, match="more than 2 events behind"):
            await slow.next()
        assert [(await fast.next()).payload for _ in range(5)] == [0, 1, 2, 3, 4]
    await asyncio.wait_for(slow.wait_dropped(), 1)


async def test_a_failing_filter_drops_its_subscriber_not_the_publisher() -> None:
    bus: EventBus[str] = EventBus()
    broken = bus.subscribe(queue_size=5, accepts=lambda word: 1 / 0 > 0)
    with bus.subscribe(queue_size=5) as healthy:
        bus.publish("x")
        assert broken.dropped
        assert (await healthy.next()).payload == "x"


async def test_leaving_the_bus_stops_delivery() -> None:
    bus: EventBus[str] = EventBus()
    with bus.subscribe(queue_size=1) as subscription:
        assert bus.subscriber_count == 1
    bus.publish("after leaving")
    bus.publish("would overflow a member")
    assert bus.subscriber_count == 0
    assert subscription.pending == 0 and not subscription.dropped


def test_replay_after_an_id_gives_the_kept_events_after_it() -> None:
    bus: EventBus[str] = EventBus(replay_size=3, first_id=10)
    for word in ("a", "b", "c", "d"):  # ids 10..13; 10 falls out of the buffer
        bus.publish(word)
    replayed = bus.replay_after(11)
    assert replayed is not None
    assert [(event.id, event.payload) for event in replayed] == [(12, "c"), (13, "d")]
    assert bus.replay_after(13) == []
    oldest_kept = bus.replay_after(10)
    assert oldest_kept is not None and [event.id for event in oldest_kept] == [11, 12, 13]


def test_replay_refuses_ids_it_cannot_answer_for() -> None:
    bus: EventBus[str] = EventBus(replay_size=2, first_id=100)
    for word in ("a", "b", "c"):  # ids 100..102; 100 is gone
        bus.publish(word)
    assert bus.replay_after(99) is None  # event 100 was missed and is no longer kept
    assert bus.replay_after(5) is None  # from before this bus existed
    assert bus.replay_after(500) is None  # never sent by this bus (another run's id)


def test_ids_of_a_new_bus_come_after_those_of_an_earlier_one() -> None:
    """As after a restart: ids count microseconds, so this holds below a million events a
    second (the millisecond below stands for the restart)."""
    earlier: EventBus[str] = EventBus()
    for word in ("a", "b", "c"):
        earlier.publish(word)
    time.sleep(0.001)
    later: EventBus[str] = EventBus()
    assert later.publish("x").id > earlier.last_id
    assert later.replay_after(earlier.last_id) is None
