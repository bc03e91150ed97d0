"""Reading a configuration in a worker thread stops when its time is up or its caller left."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pulse_core.config import ConfigError, load_config
from pulse_core.config.budget import Budget, load_in_worker

from .conftest import PROBES


def many_hosts(count: int) -> str:
    lines = ["version: 1", "defaults: {}", "groups: [{id: plant, name: Plant}]", "targets:"]
    lines += [
        f"  - {{type: icmp, group: plant, host: 127.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}}}"
        for n in range(count)
    ]
    return "\n".join(lines) + "\n"


def test_a_stopped_budget_stops_the_load() -> None:
    budget = Budget(60)
    budget.stop()
    with pytest.raises(ConfigError) as caught:
        load_config(many_hosts(10), probes=PROBES, environ={}, budget=budget)
    [issue] = caught.value.issues
    assert issue.message == "reading the configuration was stopped: the caller went away"


def test_a_spent_budget_is_an_error_saying_what_to_do() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(many_hosts(10), probes=PROBES, environ={}, budget=Budget(-1))
    [issue] = caught.value.issues
    assert issue.message == (
        "reading the configuration took longer than -1 s, the most allowed: make it smaller "
        "(fewer targets, smaller ranges)"
    )


async def test_a_cancelled_load_stops_its_worker_thread() -> None:
    budget = Budget(60)
    options: dict[str, Any] = {"probes": PROBES, "environ": {}}
    loading = asyncio.create_task(load_in_worker(many_hosts(20_000), budget=budget, **options))
    await asyncio.sleep(0.05)  # the worker thread is reading
    loading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loading
    with pytest.raises(ConfigError):
        budget.check()  # what the worker thread meets at its next step, and stops
    config = await load_in_worker(many_hosts(3), **options)  # an unstopped budget of its own
    assert len(config.endpoints) == 3
