"""The store's write health in ``/api/metrics``, against a SQLite store on a small tmpfs the
test fills up and frees again, linted by promtool as it goes."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families as parse_text

from pulse_core.testing.busy import busy_plant
from pulse_core.testing.disks import fill
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

STORE_FAMILIES = (
    "pulse_store_write_failures", "pulse_store_write_failing", "pulse_store_queue_depth",
    "pulse_store_write_backlog_age_seconds", "pulse_store_last_write_success_timestamp_seconds",
)


Readings = dict[str, float]


async def store_readings(client: httpx.AsyncClient) -> Readings:
    reply = await client.get("/api/metrics")
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=reply.content, capture_output=True, timeout=60
    )
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()
    families = {family.name: family for family in parse_text(reply.text)}
    return {name: families[name].samples[0].value for name in STORE_FAMILIES}


async def test_failing_writes_show_in_the_metrics_until_the_disk_has_room_again(
    tmp_path: Path, small_disk: Path
) -> None:
    async with running_pulse(busy_plant(small_disk / "pulse.db", "127.0.5.0/27"), tmp_path) as server:
        async with server.client(authenticated=False) as client:

            async def when(ready: Callable[[Readings], bool]) -> Readings:
                async def probe() -> Readings | None:
                    readings = await store_readings(client)
                    return readings if ready(readings) else None

                return await eventually(probe, timeout_s=60)

            written = await when(
                lambda r: r["pulse_store_last_write_success_timestamp_seconds"] > 0
            )
            filler = fill(small_disk)
            failing = await when(lambda r: r["pulse_store_write_backlog_age_seconds"] >= 2)
            filler.unlink()
            recovered = await when(
                lambda r: r["pulse_store_write_failing"] == 0 and r["pulse_store_queue_depth"] == 0
            )
    assert written["pulse_store_write_failures"] == 0
    assert failing["pulse_store_write_failing"] == 1
    assert failing["pulse_store_write_failures"] >= 1 and failing["pulse_store_queue_depth"] > 0
    assert recovered["pulse_store_write_failures"] >= failing["pulse_store_write_failures"]
    assert (
        recovered["pulse_store_last_write_success_timestamp_seconds"]
        > written["pulse_store_last_write_success_timestamp_seconds"]
    )
