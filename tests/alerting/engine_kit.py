"""An alert engine on a real SQLite store, fed with status changes the tests make up, for
rules that do not need a real target to go down (routing, storms, windows, retries)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import yaml

from pulse_core.alerting.engine import AlertEngine
from pulse_core.app import build_store, load_plugins
from pulse_core.config import load_config
from pulse_core.config.model import PulseConfig
from pulse_core.models import Endpoint, Outage, State, StatusChange
from pulse_core.testing.receivers import Receiver
from pulse_core.testing.waiting import eventually

from .conftest import OUTBOUND


def engine_yaml(notifiers: list[dict], **sections: object) -> str:
    document = {
        "version": 1,
        "defaults": {"interval_seconds": 60},
        "groups": [
            {"id": "plant", "name": "Plant"},
            {"id": "press-shop", "name": "Press shop", "parent_id": "plant"},
            {"id": "office", "name": "Office"},
        ],
        "targets": [
            {
                "type": "tcp",
                "wildcard": "127.0.1.*",
                "port": 502,
                "group": "press-shop",
            },
            {"type": "tcp", "host": "127.0.2.1", "port": 502, "group": "office"},
        ],
        "notifiers": notifiers,
        "outbound": OUTBOUND,
        **sections,
    }
    document.setdefault("alerting", {"retry_initial": 0.2, "retry_max": 1})
    return yaml.safe_dump(document, sort_keys=False)


def webhook(name: str, receiver: Receiver) -> dict:
    """A webhook notifier posting the variables the rule tests look at."""
    return {
        "name": name,
        "webhook": {
            "url": f"{receiver.url}/{name}",
            "body": {
                "text": "{{message}}",
                "status": "{{status}}",
                "previous": "{{previous_status}}",
                "count": "{{count}}",
            },
        },
    }


def engine_config(yaml_text: str) -> PulseConfig:
    """``yaml_text`` loaded as ``pulse run`` loads it, with the installed plugins."""
    registries = load_plugins().registries
    return load_config(
        yaml_text, probes=registries.probes, sections=registries.config_sections
    )


@contextlib.asynccontextmanager
async def running_engine(yaml_text: str, tmp_path: Path) -> AsyncIterator[AlertEngine]:
    """The engine of ``yaml_text``, started on a store in ``tmp_path`` (kept across uses)."""
    plugins = load_plugins()
    registries = plugins.registries
    config = engine_config(yaml_text)
    store = build_store(f"sqlite:///{tmp_path / 'pulse.db'}", plugins)
    await store.open()
    await store.sync_catalog(config.groups, config.endpoints)
    engine = AlertEngine(store, registries.notifiers)
    await engine.start(config)
    try:
        yield engine
    finally:
        await engine.stop()
        await store.close()


def endpoint_of(engine: AlertEngine, host: str) -> Endpoint:
    assert engine._config is not None
    return next(ep for ep in engine._config.endpoints if ep.host == host)


def went_down(
    endpoint: Endpoint, ts: float, previous: State = State.UP
) -> StatusChange:
    outage = Outage(endpoint.id, ts, last_error="connection refused")
    return StatusChange(
        endpoint.id, ts, State.DOWN, previous, None, "connection refused", outage
    )


def came_up(
    endpoint: Endpoint, ts: float, down_since: float, previous: State = State.DOWN
) -> StatusChange:
    outage = Outage(endpoint.id, down_since, ts) if previous is State.DOWN else None
    return StatusChange(endpoint.id, ts, State.UP, previous, 1.5, None, outage)


async def all_sent(engine: AlertEngine, name: str, count: int) -> None:
    """Until notifier ``name`` has ``count`` messages delivered and none pending (the
    receiver answers before the courier stores the outcome: counting requests would race)."""

    async def settled() -> bool | None:
        health = (await engine.health())[name]
        return True if (health.sent, health.pending) == (count, 0) else None

    await eventually(settled, timeout_s=20)
