"""Several deliveries at once per notifier: bounded, in order per endpoint, paused by a 429."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from pulse_core.alerting.engine import AlertEngine
from pulse_core.models import Endpoint
from pulse_core.testing.receivers import ReceivedRequest, Receiver, Reply

from .engine_kit import (
    all_sent,
    came_up,
    endpoint_of,
    engine_yaml,
    running_engine,
    webhook,
    went_down,
)


def plcs(engine: AlertEngine, count: int) -> list[Endpoint]:
    """The first ``count`` endpoints of the press shop (127.0.1.1 ...)."""
    return [endpoint_of(engine, f"127.0.1.{index}") for index in range(1, count + 1)]


async def test_a_notifier_sends_several_at_once_never_more_than_its_concurrency(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        receiver.delay_s = 0.3
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"concurrency": 4, "storm": {"threshold": 100}},
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            for endpoint in plcs(engine, 20):
                await engine.status_changed(went_down(endpoint, now), endpoint)
            await all_sent(engine, "ops", 20)
    assert len(receiver.requests) == 20
    assert 1 < receiver.most_at_once <= 4


class SlowOffline(Receiver):
    """Answers offline messages slowly and online ones at once: a recovery sent beside its
    outage instead of after it would overtake it."""

    def handle(self, request: ReceivedRequest) -> Reply:
        if request.json()["status"] == "offline":
            time.sleep(0.3)
        return Reply(200, "ok")


async def test_messages_of_one_endpoint_never_overtake_each_other(tmp_path: Path) -> None:
    with SlowOffline() as receiver:
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"concurrency": 8, "storm": {"threshold": 100}},
        )
        async with running_engine(text, tmp_path) as engine:
            endpoints = plcs(engine, 4)
            now = time.time()
            for flap in range(3):
                for endpoint in endpoints:
                    down_at = now + flap
                    await engine.status_changed(went_down(endpoint, down_at), endpoint)
                    await engine.status_changed(
                        came_up(endpoint, down_at + 0.5, down_at), endpoint
                    )
            await all_sent(engine, "ops", 24)
    for endpoint in endpoints:
        statuses = [
            body["status"]
            for body in (request.json() for request in receiver.requests)
            if body["text"].startswith(f"{endpoint.name} ")
        ]
        assert statuses == ["offline", "online"] * 3, endpoint.name
    assert receiver.most_at_once > 1


async def test_a_429_pauses_the_notifier_for_retry_after_without_counting_a_failure(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        receiver.delay_s = 0.1
        receiver.script(Reply(429, "slow down", {"Retry-After": "1"}))
        text = engine_yaml(
            [webhook("ops", receiver)],
            alerting={"concurrency": 1, "storm": {"threshold": 100}, "retry_initial": 0.2},
        )
        async with running_engine(text, tmp_path) as engine:
            now = time.time()
            for endpoint in plcs(engine, 5):
                await engine.status_changed(went_down(endpoint, now), endpoint)
            await all_sent(engine, "ops", 5)
            counts = engine.couriers["ops"].counts
    assert len(receiver.requests) == 6
    refused_at, *later = receiver.arrivals
    assert min(later) - refused_at >= 1.0  # nothing reached the receiver during the pause
    assert (counts.failed_attempts, counts.rate_limited) == (0, 1)
    with sqlite3.connect(tmp_path / "pulse.db") as database:
        paused = database.execute(
            "SELECT state, attempts, last_error FROM outbox WHERE last_error IS NOT NULL"
        ).fetchall()
    assert paused == [("delivered", 1, "HTTP 429 Too Many Requests: slow down")]
