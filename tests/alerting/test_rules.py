"""What counts as news: first states, routing, maintenance windows and storms."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pulse_core.models import State
from pulse_core.testing.receivers import Receiver

from .engine_kit import (
    came_up,
    endpoint_of,
    engine_yaml,
    running_engine,
    webhook,
    went_down,
)


async def test_an_online_first_state_is_not_news_an_offline_one_is(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        async with running_engine(
            engine_yaml([webhook("ops", receiver)]), tmp_path
        ) as engine:
            now = time.time()
            plc, other = (
                endpoint_of(engine, "127.0.1.1"),
                endpoint_of(engine, "127.0.1.2"),
            )
            await engine.status_changed(
                came_up(plc, now, now, previous=State.UNKNOWN), plc
            )
            await engine.status_changed(
                went_down(other, now, previous=State.UNKNOWN), other
            )
            (request,) = await receiver.wait_for_requests(1)
            time_to_spare = time.monotonic() + 0.5
            while time.monotonic() < time_to_spare:
                assert len(receiver.requests) == 1
                await _pause()
    assert (
        request.json()["status"] == "offline"
        and request.json()["previous"] == "unknown"
    )


async def test_rules_filter_by_group_with_children_and_by_status(
    tmp_path: Path,
) -> None:
    with Receiver() as plant_team, Receiver() as office_team:
        alerts = [
            {"notify": ["plant"], "groups": ["plant"], "statuses": ["offline"]},
            {"notify": ["office"], "groups": ["office"]},
        ]
        text = engine_yaml(
            [webhook("plant", plant_team), webhook("office", office_team)],
            alerts=alerts,
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            press, desk = (
                endpoint_of(engine, "127.0.1.7"),
                endpoint_of(engine, "127.0.2.1"),
            )
            await engine.status_changed(went_down(press, now), press)
            await engine.status_changed(came_up(press, now + 1, now), press)
            await engine.status_changed(went_down(desk, now), desk)
            await engine.status_changed(came_up(desk, now + 1, now), desk)
            office = await office_team.wait_for_requests(2)
            plant = await plant_team.wait_for_requests(1)
    assert [r.json()["status"] for r in plant] == [
        "offline"
    ]  # press-shop is a child of plant
    assert [r.json()["status"] for r in office] == ["offline", "online"]


async def test_a_maintenance_window_silences_its_endpoints_only(tmp_path: Path) -> None:
    with Receiver() as receiver:
        maintenance = [{"groups": ["plant"], "schedule": "* * * * *", "duration": "1h"}]
        text = engine_yaml([webhook("ops", receiver)], maintenance=maintenance)
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            press, desk = (
                endpoint_of(engine, "127.0.1.3"),
                endpoint_of(engine, "127.0.2.1"),
            )
            await engine.status_changed(went_down(press, now), press)
            await engine.status_changed(went_down(desk, now), desk)
            (request,) = await receiver.wait_for_requests(1)
            await _pause(0.3)
    assert len(receiver.requests) == 1
    assert request.json()["text"].startswith(desk.name)


async def test_a_storm_sends_the_first_changes_then_one_summary_per_notifier(
    tmp_path: Path,
) -> None:
    with Receiver() as first, Receiver() as second:
        text = engine_yaml(
            [webhook("a", first), webhook("b", second)],
            alerting={"storm": {"threshold": 3, "window": 0.5}, "retry_initial": 0.2},
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            for index in range(1, 11):
                endpoint = endpoint_of(engine, f"127.0.1.{index}")
                await engine.status_changed(
                    went_down(endpoint, now + index / 100), endpoint
                )
            for receiver in (first, second):
                await receiver.wait_for_requests(4)
            await _pause(0.7)
    for receiver in (first, second):
        bodies = [request.json() for request in receiver.requests]
        assert [body["count"] for body in bodies] == ["1", "1", "1", "7"]
        assert bodies[3]["text"].startswith(
            "7 endpoints in Press shop changed (7 offline, 0 online)"
        )


async def test_a_storm_summary_counts_a_flapping_endpoint_once(tmp_path: Path) -> None:
    """One endpoint going down and up 15 times in a window is one endpoint that changed."""
    with Receiver() as receiver:
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"storm": {"threshold": 2, "window": 0.5}, "retry_initial": 0.2},
        )
        async with running_engine(text, tmp_path) as engine:
            plc, press = endpoint_of(engine, "127.0.1.1"), endpoint_of(engine, "127.0.1.2")
            now = time.time()
            for flap in range(15):
                at = now + flap / 100
                change = came_up(plc, at, at - 0.005) if flap % 2 else went_down(plc, at)
                await engine.status_changed(change, plc)
            await engine.status_changed(went_down(press, now + 0.2), press)
            await receiver.wait_for_requests(3)
            await _pause(0.7)
    summary = receiver.requests[-1].json()
    assert len(receiver.requests) == 3
    assert summary["count"] == "14"
    assert summary["text"] == (
        "2 endpoints in Press shop changed 14 times (2 offline, 0 online): "
        f"{plc.name}, {press.name}"
    )


async def _pause(seconds: float = 0.05) -> None:
    await asyncio.sleep(seconds)
