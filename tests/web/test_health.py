"""The web server itself: health, and JSON errors everywhere."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Callable

from pulse_core.testing.busy import busy_plant
from pulse_core.testing.disks import fill
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""


async def test_health_answers_without_credentials(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client(authenticated=False) as client:
            reply = await client.get("/api/health")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["store"]) == ("ok", "ok")
    assert body["uptimeSeconds"] >= 0 and body["version"]


async def test_unknown_routes_answer_json(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as client:
            missing = await client.get("/api/nothing-here")
            wrong_method = await client.delete("/api/health")
    assert missing.status_code == 404 and "message" in missing.json()
    assert wrong_method.status_code == 405 and "message" in wrong_method.json()


# --- a store that answers but cannot write -----------------------------------------------------


async def test_a_store_that_cannot_write_is_failing_until_it_writes_again(
    tmp_path: Path, small_disk: Path
) -> None:
    async with running_pulse(busy_plant(small_disk / "pulse.db", "127.0.4.0/27"), tmp_path) as server:
        pulse = server.pulse
        async with server.client(authenticated=False) as client:

            async def health(status_code: int) -> dict[str, Any] | None:
                reply = await client.get("/api/health")
                return reply.json() if reply.status_code == status_code else None

            async def health_when(status_code: int, ready: Callable[[dict[str, Any]], bool]) -> (
                dict[str, Any]
            ):
                async def probe() -> dict[str, Any] | None:
                    body = await health(status_code)
                    return body if body is not None and ready(body) else None

                return await eventually(probe, timeout_s=60)

            await health_when(200, lambda body: body["writes"]["lastSuccessAt"] is not None)
            filler = fill(small_disk)
            failing = await health_when(
                503, lambda body: body["writes"]["backlogAgeSeconds"] >= 2
            )
            assert (failing["status"], failing["store"]) == ("degraded", "failing")
            writes = failing["writes"]
            assert writes["failures"] >= 1
            assert "full" in writes["lastError"]
            assert writes["failingSince"] is not None and writes["lastFailureAt"] is not None
            assert writes["backlog"] > 0

            filler.unlink()
            recovered = await health_when(200, lambda body: body["writes"]["backlog"] == 0)
    assert (recovered["status"], recovered["store"]) == ("ok", "ok")
    assert recovered["writes"]["failingSince"] is None
    assert recovered["writes"]["failures"] >= writes["failures"]
    assert recovered["writes"]["lastSuccessAt"] > writes["lastFailureAt"]
    with contextlib.closing(sqlite3.connect(small_disk / "pulse.db")) as database:
        (stored,) = database.execute("SELECT count(*) FROM checks").fetchone()
    assert stored == pulse.writer.written
