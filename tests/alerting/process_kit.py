"""Real ``pulse run`` processes for the durability tests: started, crashed, restarted."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from typing import Any

from pulse_core.app import build_store, load_plugins
from pulse_core.models import Outage
from pulse_core.store import Store
from pulse_core.testing.listeners import free_tcp_port

from .conftest import eventually, pulse_yaml

CRASH_PLUGIN = Path(__file__).with_name("crash_on_change.py")


def write_process_config(tmp_path: Path, port: int, notifiers: list[dict[str, Any]]) -> Path:
    """``pulse.yaml`` in ``tmp_path`` for a ``pulse run`` process: the one TCP target on
    ``port``, its own web port and SQLite file, and ``notifiers``."""
    config = tmp_path / "pulse.yaml"
    config.write_text(
        pulse_yaml(
            port,
            notifiers,
            # 5 s: a restart stays well within the 2.5 intervals after which state starts
            # over; one check is enough to reach a state either way
            defaults={
                "interval_seconds": 5,
                "timeout_ms": 500,
                "retries": 0,
                "failure_threshold": 1,
                "success_threshold": 1,
            },
            server={"host": "127.0.0.1", "port": free_tcp_port()},
            storage={"url": f"sqlite:///{tmp_path / 'pulse.db'}"},
            alerting={"retry_initial": 0.2, "retry_max": 0.5},
        )
    )
    return config


def crash_plugin_path(tmp_path: Path) -> Path:
    """A directory that, on ``PYTHONPATH``, installs :mod:`crash_on_change` as the entry
    point ``pulse-test-crash`` (a distribution found on ``sys.path`` like any other)."""
    root = tmp_path / "crash-plugin"
    info = root / "pulse_test_crash-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    shutil.copy(CRASH_PLUGIN, root / "pulse_test_crash.py")
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pulse-test-crash\nVersion: 0\n"
    )
    (info / "entry_points.txt").write_text(
        "[pulse]\npulse-test-crash = pulse_test_crash\n"
    )
    return root


def start_pulse(
    config: Path, log: Path, plugin_path: Path | None = None
) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    if plugin_path is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(plugin_path), environment.get("PYTHONPATH")])
        )
    return subprocess.Popen(
        [sys.executable, "-m", "pulse_core.cli", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
        env=environment,
    )


def run_until_it_crashes(config: Path, log: Path, plugin_path: Path) -> None:
    """Run Pulse with the crash plugin until its first stored change kills it."""
    process = start_pulse(config, log, plugin_path)
    try:
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert returncode == -signal.SIGKILL, log.read_text()


async def wait_until_monitoring(log: Path, starts: int) -> None:
    """Until the ``starts``-th start recorded in ``log`` is monitoring (alerting started,
    unannounced changes replayed)."""
    await eventually(
        lambda: log.read_text().count("monitoring 1 endpoints") >= starts, timeout_s=30
    )


def stop(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    process.send_signal(how)
    process.wait(timeout=20)


@contextlib.asynccontextmanager
async def stored(database: Path) -> AsyncIterator[Store]:
    """The store a stopped Pulse left in ``database``, opened to look at."""
    store = build_store(f"sqlite:///{database}", load_plugins())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def outbox_counts(database: Path) -> dict[str, tuple[int, int]]:
    """``(pending, sent)`` of the outbox messages of each notifier."""
    async with stored(database) as store:
        health = await store.outbox_health()
    return {name: (counts.pending, counts.sent) for name, counts in health.items()}


async def stored_outages(database: Path) -> list[Outage]:
    async with stored(database) as store:
        return await store.outages(None, 0.0, time.time() + 60)
