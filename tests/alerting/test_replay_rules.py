"""Which stored changes an engine replays at start-up, on a real store and real receivers.

The store holds outages as the monitor wrote them; a change the engine dealt with has raised
its endpoint's mark; one it never heard of (a crash in between) has not.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pulse_core.alerting.engine import AlertEngine
from pulse_core.models import Outage
from pulse_core.testing.receivers import Receiver

from .engine_kit import endpoint_of, engine_yaml, running_engine, webhook, went_down

REFUSED = "connection refused"  # the error went_down() gives


async def eventually_sent(engine: AlertEngine, notifier: str, count: int) -> None:
    """Until ``count`` deliveries of ``notifier`` are recorded (not only received)."""
    async with asyncio.timeout(10):
        while (await engine.health())[notifier].sent < count:
            await asyncio.sleep(0.02)


async def test_unannounced_outage_edges_are_replayed_once_marked_ones_never(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        text = engine_yaml([webhook("ops", receiver)])
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            still_down, recovered, gap, announced = (
                endpoint_of(engine, f"127.0.1.{index}") for index in range(1, 5)
            )
            await engine.store.write_outages(
                [
                    Outage(still_down.id, now, last_error=REFUSED),
                    Outage(recovered.id, now, now + 0.5),
                    Outage(gap.id, now, now + 0.5, gap=True),  # no recovery seen
                ]
            )
            change = went_down(announced, now)
            assert change.outage is not None
            await engine.store.write_outages([change.outage])
            await engine.status_changed(change, announced)
            await eventually_sent(engine, "ops", 1)

        for _ in range(2):  # the second start finds every change marked
            async with running_engine(text, tmp_path):
                await asyncio.sleep(0.5)
    texts = sorted(request.json()["text"] for request in receiver.requests)
    assert texts == sorted(
        [
            f"{announced.name} ({announced.address}) is offline (was online): {REFUSED}",
            f"{still_down.name} ({still_down.address}) is offline (was unknown): {REFUSED}",
            f"{recovered.name} ({recovered.address}) is offline (was unknown)",
            f"{recovered.name} ({recovered.address}) is online (was offline) after 0s",
            f"{gap.name} ({gap.address}) is offline (was unknown)",
        ]
    )


async def test_periods_unreachable_behind_a_parent_are_never_replayed(tmp_path: Path) -> None:
    with Receiver() as receiver:
        text = engine_yaml([webhook("ops", receiver)])
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            switch, still_cut_off, back, offline = (
                endpoint_of(engine, f"127.0.1.{index}") for index in range(1, 5)
            )
            await engine.store.write_outages(
                [
                    Outage(still_cut_off.id, now, last_error=REFUSED, cause=switch.id),
                    Outage(back.id, now, now + 0.5, REFUSED, cause=switch.id),
                    Outage(offline.id, now, last_error=REFUSED),
                ]
            )
        async with running_engine(text, tmp_path):
            await receiver.wait_for_requests(1)
            await asyncio.sleep(0.5)  # time to send what it should not
    assert [request.json()["text"] for request in receiver.requests] == [
        f"{offline.name} ({offline.address}) is offline (was unknown): {REFUSED}"
    ]


async def test_a_replayed_change_goes_only_to_notifiers_whose_max_age_it_is_within(
    tmp_path: Path,
) -> None:
    with Receiver() as patient, Receiver() as hasty:
        text = engine_yaml(
            [webhook("patient", patient), {**webhook("hasty", hasty), "max_age": 1}]
        )
        async with running_engine(text, tmp_path) as engine:
            plc = endpoint_of(engine, "127.0.1.1")
            await engine.store.write_outages([Outage(plc.id, time.time())])
        await asyncio.sleep(1.2)
        async with running_engine(text, tmp_path):
            await patient.wait_for_requests(1)
            await asyncio.sleep(0.3)
    assert hasty.requests == []


async def test_changes_held_for_a_storm_summary_are_marked_with_the_summary(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"storm": {"threshold": 1, "window": 60}, "retry_initial": 0.2},
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            for index in range(1, 4):
                endpoint = endpoint_of(engine, f"127.0.1.{index}")
                change = went_down(endpoint, now + index / 100)
                assert change.outage is not None
                await engine.store.write_outages([change.outage])
                await engine.status_changed(change, endpoint)
            await receiver.wait_for_requests(1)
            await eventually_sent(engine, "ops", 1)
        # the stop cut the window short and wrote its summary; the restart sends it
        async with running_engine(text, tmp_path):
            await receiver.wait_for_requests(2)
            await asyncio.sleep(0.5)
    bodies = [request.json() for request in receiver.requests]
    assert [body["count"] for body in bodies] == ["1", "2"]
