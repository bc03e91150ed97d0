"""The parent's message (``depends_on``) under the rules every message follows: maintenance
windows silence it, storms fold it into a summary that adds up the endpoints behind; and the
unreachable endpoints themselves never send anything. Changes are made up and fed to a real
engine on a real store, with a real webhook receiver."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import yaml

from pulse_core.models import Endpoint, State, StatusChange
from pulse_core.testing.receivers import Receiver

from .conftest import OUTBOUND
from .engine_kit import all_sent, running_engine, webhook, went_down


def site_yaml(notifiers: list[dict[str, Any]], **sections: Any) -> str:
    """Three switches in one group, two PLCs behind each in a line of its own."""
    document: dict[str, Any] = {
        "version": 1,
        "defaults": {"interval_seconds": 60},
        "groups": [
            {"id": "network", "name": "Network"},
            *({"id": f"line-{k}", "name": f"Line {k}", "depends_on": f"switch-{k}"} for k in range(3)),
        ],
        "targets": [
            *({"name": f"switch-{k}", "type": "tcp", "host": f"127.6.{k}.1", "port": 502,
               "group": "network"} for k in range(3)),
            *({"name": f"plc-{k}-{j}", "type": "tcp", "host": f"127.6.{k}.{j + 2}", "port": 502,
               "group": f"line-{k}"} for k in range(3) for j in range(2)),
        ],
        "notifiers": notifiers,
        "outbound": OUTBOUND,
        **sections,
    }
    document.setdefault("alerting", {"retry_initial": 0.2, "retry_max": 1})
    return yaml.safe_dump(document, sort_keys=False)


def named(engine: Any, name: str) -> Endpoint:
    return next(ep for ep in engine._config.endpoints if ep.name == name)


def cut_off(endpoint: Endpoint, cause: Endpoint, ts: float) -> StatusChange:
    return StatusChange(endpoint.id, ts, State.UNREACHABLE, State.UP, None, "refused", cause=cause.id)


async def switch_dies(engine: Any, k: int, ts: float) -> None:
    """Switch ``k`` goes offline, then the two PLCs behind it become unreachable."""
    switch = named(engine, f"switch-{k}")
    await engine.status_changed(went_down(switch, ts), switch)
    for j in range(2):
        plc = named(engine, f"plc-{k}-{j}")
        await engine.status_changed(cut_off(plc, switch, ts + 1), plc)


async def test_a_maintenance_window_over_the_switch_silences_its_message(tmp_path: Path) -> None:
    with Receiver() as receiver:
        maintenance = [{"groups": ["network"], "schedule": "* * * * *", "duration": "1h"}]
        async with running_engine(
            site_yaml([webhook("ops", receiver)], maintenance=maintenance), tmp_path
        ) as engine:
            await switch_dies(engine, 0, time.time())
            plc = named(engine, "plc-1-0")  # on its own: its switch is fine, its line not silenced
            await engine.status_changed(went_down(plc, time.time()), plc)
            (request,) = await receiver.wait_for_requests(1)
            await asyncio.sleep(0.3)
    assert len(receiver.requests) == 1
    assert request.json()["text"].startswith("plc-1-0")


async def test_a_storm_of_switches_is_one_summary_adding_up_the_endpoints_behind(
    tmp_path: Path,
) -> None:
    with Receiver() as receiver:
        alerting = {"storm": {"threshold": 1, "window": 0.5}, "retry_initial": 0.2}
        entry = webhook("ops", receiver)
        entry["webhook"]["body"]["affected_count"] = "{{affected_count}}"
        async with running_engine(site_yaml([entry], alerting=alerting), tmp_path) as engine:
            now = time.time()
            for k in range(3):
                await switch_dies(engine, k, now + k * 0.01)
            await all_sent(engine, "ops", 2)
    first, summary = (request.json() for request in receiver.requests)
    assert (first["status"], first["count"], first["affected_count"]) == ("offline", "1", "2")
    assert "2 endpoints behind it are unreachable: plc-0-0, plc-0-1" in first["text"]
    assert (summary["count"], summary["affected_count"]) == ("2", "4")
    assert summary["text"].startswith("2 endpoints in Network changed")
