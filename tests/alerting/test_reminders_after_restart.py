"""An outage open when Pulse stopped is reminded about after its restart; one that a long stop
closed (the gap rule) is not, though the store still remembered it open."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml

from pulse_core.app import build_store, load_plugins, started
from pulse_core.models import EndpointSnapshot, Outage, State
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.receivers import Receiver

from .conftest import OUTBOUND, eventually
from .engine_kit import engine_config, webhook

#: Longer than a reminder's period: what a running Pulse would have sent by then
QUIET_S = 2.5


def restart_yaml(tmp_path: Path, port: int, receiver: Receiver) -> str:
    """Two PLCs, one on a listening port (one check cannot bring it back: it takes five), the
    other refusing (two checks, a minute apart, to go offline), reminders every second for
    what stays offline."""
    document = {
        "version": 1,
        "defaults": {"interval_seconds": 60, "success_threshold": 5},
        "storage": {"url": f"sqlite:///{tmp_path / 'pulse.db'}"},
        "groups": [{"id": "press-shop", "name": "Press shop"}],
        "targets": [
            {"type": "tcp", "host": host, "port": port, "name": name, "group": "press-shop"}
            for host, name in (("127.0.0.1", "PLC recent"), ("127.0.0.2", "PLC long gone"))
        ],
        "notifiers": [webhook("ops", receiver)],
        "outbound": OUTBOUND,
        "alerts": [{"notify": ["ops"], "repeat_every": 1}],
    }
    return yaml.safe_dump(document, sort_keys=False)


async def remember_offline(text: str, last_checks: dict[str, float]) -> None:
    """Store each named endpoint as Pulse leaves it when it stops while the endpoint is
    offline: DOWN with an open outage, its last check at ``last_checks[name]``."""
    config = engine_config(text)
    store = build_store(config.storage.url or "", load_plugins())
    await store.open()
    try:
        await store.sync_catalog(config.groups, config.endpoints)
        snapshots = []
        for endpoint in config.endpoints:
            last_ts = last_checks[endpoint.name]
            outage = Outage(endpoint.id, last_ts - 30, last_error="connection refused")
            snapshots.append(
                EndpointSnapshot(endpoint.id, State.DOWN, last_ts - 30, last_ts, outage)
            )
        await store.write_snapshots(snapshots)
    finally:
        await store.close()


async def test_an_outage_open_across_a_restart_is_reminded_and_one_a_long_stop_closed_is_not(
    tmp_path: Path, tcp_listener: TcpListener
) -> None:
    with Receiver() as receiver:
        text = restart_yaml(tmp_path, tcp_listener.port, receiver)
        config_path = tmp_path / "pulse.yaml"
        config_path.write_text(text)
        now = time.time()
        # within 2.5 intervals of the restart the outage resumes; beyond, the gap closes it
        await remember_offline(text, {"PLC recent": now - 5, "PLC long gone": now - 1000})
        async with started(config_path) as pulse:
            await eventually(lambda: len(receiver.requests) >= 2)
            await asyncio.sleep(QUIET_S)
            remembered = await pulse.store.outages(None, 0, time.time() + 1)
    texts = [request.json()["text"] for request in receiver.requests]
    assert texts and all(t.startswith("PLC recent ") and "still offline" in t for t in texts)
    long_gone = next(outage for outage in remembered if outage.started_ts < now - 900)
    assert long_gone.gap and long_gone.ended_ts == pytest.approx(now - 1000, abs=0.001)
