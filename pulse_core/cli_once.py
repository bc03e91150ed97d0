"""``pulse once``: check every endpoint one time, as a quick look at a site."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, Mapping, TextIO

from pulse_core.cli_table import render_rows
from pulse_core.config.model import PulseConfig
from pulse_core.engine.checks import run_probe
from pulse_core.engine.probing import start_probe
from pulse_core.models import Endpoint
from pulse_core.probe import Probe

MAX_CONCURRENT_CHECKS = 500
PROGRESS_AFTER_S = 1.0


class Progress:
    """A one-line progress bar on a terminal, shown only once a run takes a while."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.done = total, 0
        self._stream = stream
        self._enabled = enabled and stream.isatty()
        self._started = time.monotonic()

    def advance(self) -> None:
        self.done += 1
        if self._enabled and time.monotonic() - self._started >= PROGRESS_AFTER_S:
            filled = int(30 * self.done / self.total)
            bar = "#" * filled + "-" * (30 - filled)
            self._stream.write(f"\r[{bar}] {self.done}/{self.total}")
            self._stream.flush()

    def finish(self) -> None:
        if self._enabled and time.monotonic() - self._started >= PROGRESS_AFTER_S:
            self._stream.write("\n")


async def probe_all(
    config: PulseConfig, probe_classes: Mapping[str, type[Probe]], show_progress: bool = True
) -> list[dict[str, Any]]:
    """One row per enabled endpoint, in configuration order."""
    endpoints = [ep for ep in config.endpoints if ep.enabled]
    probes: dict[str, Probe] = {}
    for type_name in {ep.type for ep in endpoints}:
        # one that cannot start (a library missing) is logged, and its checks fail with why
        probes[type_name], _ = await start_probe(
            probe_classes[type_name], config.probe_defaults.get(type_name)
        )
    slots = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)
    progress = Progress(len(endpoints), sys.stderr, show_progress)
    group_names = {group.id: group.name for group in config.groups}

    async def one(endpoint: Endpoint) -> dict[str, Any]:
        async with slots:
            result = await run_probe(probes[endpoint.type], endpoint)
        progress.advance()
        return {
            "name": endpoint.name,
            "type": endpoint.type,
            "host": endpoint.host,
            "port": endpoint.port,
            "group": group_names[endpoint.group_id],
            "status": "up" if result.ok else "down",
            "rttMs": None if result.rtt_ms is None else round(result.rtt_ms, 2),
            "error": result.error,
        }

    try:
        return list(await asyncio.gather(*(one(ep) for ep in endpoints)))
    finally:
        progress.finish()
        for probe in probes.values():
            await probe.close()


def render_table(rows: list[dict[str, Any]]) -> str:
    headers = ["STATUS", "NAME", "TYPE", "ADDRESS", "GROUP", "RTT MS", "ERROR"]
    table = [
        [
            row["status"].upper(),
            row["name"],
            row["type"],
            row["host"] if row["port"] is None else f"{row['host']}:{row['port']}",
            row["group"],
            "" if row["rttMs"] is None else f"{row['rttMs']:.2f}",
            row["error"] or "",
        ]
        for row in rows
    ]
    up = sum(row["status"] == "up" for row in rows)
    return f"{render_rows(headers, table)}\n{up}/{len(rows)} up"
