"""``GET /api/endpoints/{id}``: recent checks and outages, from a real outage and recovery."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse
from pulse_core.testing.waiting import eventually
from pulse_core.web.serialize import iso


def config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}]
targets: [{{type: tcp, host: 127.0.0.1, port: {port}, group: plant, name: PLC}}]
"""


async def test_detail_shows_a_real_outage_and_the_checks_of_the_window(tmp_path: Path) -> None:
    plc = TcpListener()
    await plc.start()
    async with running_pulse(config(plc.port), tmp_path) as server:
        endpoint_id = next(iter(server.pulse.monitor.states))
        async with server.client() as client:

            async def detail(**params: int) -> dict[str, Any]:
                reply = await client.get(f"/api/endpoints/{endpoint_id}", params=params)
                assert reply.status_code == 200, reply.text
                body: dict[str, Any] = reply.json()
                return body

            async def closed_outage() -> dict[str, Any] | None:
                outages = (await detail())["outages"]
                return outages[0] if outages and outages[0]["endedTs"] else None

            async def reached_a_state() -> float | None:
                return server.pulse.monitor.states[endpoint_id].state_since

            await eventually(reached_a_state)
            await plc.stop()
            await eventually(lambda: _open_outage(detail))
            await plc.start()
            outage = await eventually(closed_outage)
            body = await detail()

    await plc.stop()
    assert body["endpoint"]["id"] == endpoint_id and body["endpoint"]["name"] == "PLC"
    assert outage["startedTs"] < outage["endedTs"] and outage["durationS"] > 0
    assert "refused" in outage["lastError"].lower() and outage["gap"] is False
    statuses = [check["status"] for check in body["recent"]]
    assert "down" in statuses and statuses[-1] == "up"
    failed = next(check for check in body["recent"] if check["status"] == "down")
    assert "refused" in failed["error"].lower()
    assert body["details"] == {"address": "127.0.0.1"}  # the tcp probe's, of the latest check
    assert [check["ts"] for check in body["recent"]] == sorted(check["ts"] for check in body["recent"])


async def _open_outage(detail: Any) -> bool | None:
    outages = (await detail())["outages"]
    return True if outages and outages[-1]["endedTs"] is None else None


async def test_window_minutes_bounds_the_recent_checks(tmp_path: Path) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        endpoint_id = next(iter(server.pulse.monitor.states))
        two_hours_ago = round(time.time()) - 7200.0  # whole seconds: the store keeps milliseconds
        await server.pulse.store.write_checks(
            [CheckResult(endpoint_id, two_hours_ago, CheckStatus.UP, 12.5)]
        )
        async with server.client() as client:
            last_hour = (await client.get(f"/api/endpoints/{endpoint_id}")).json()
            last_three = (
                await client.get(f"/api/endpoints/{endpoint_id}", params={"windowMinutes": 180})
            ).json()
    old_check = {"ts": iso(two_hours_ago), "status": "up", "rttMs": 12.5, "error": None}
    assert old_check not in last_hour["recent"]
    assert last_three["recent"][0] == old_check


async def test_unknown_endpoint_and_bad_window_are_json_errors(tmp_path: Path) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        endpoint_id = next(iter(server.pulse.monitor.states))
        async with server.client() as client:
            missing = await client.get("/api/endpoints/0000000000000000")
            zero = await client.get(f"/api/endpoints/{endpoint_id}", params={"windowMinutes": 0})
            words = await client.get(f"/api/endpoints/{endpoint_id}", params={"windowMinutes": "an hour"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "endpoint '0000000000000000' not found"
    assert zero.status_code == 400 and words.status_code == 400
    assert [error["path"] for error in zero.json()["errors"]] == ["windowMinutes"]
    assert "windowMinutes" in words.json()["message"]
