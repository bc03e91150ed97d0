"""``GET /api/history/endpoint/{id}``: raw checks and rollups, from checks written to the store."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from pulse_core.models import CheckResult, CheckStatus, Outage
from pulse_core.testing.server import RunningPulse, running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 3600}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant, name: Historian}]
"""


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


async def write_history(server: RunningPulse) -> str:
    """The rollup example of docs/api.md (up 45.2, up 52.1, down) in the 10:00 bucket of
    15 Jan 2024, one more up check at 10:20, and an outage from 10:10 to 10:20."""
    endpoint_id = next(iter(server.pulse.monitor.states))
    store = server.pulse.store
    await store.write_checks([
        CheckResult(endpoint_id, at("2024-01-15T10:01:00"), CheckStatus.UP, 45.2),
        CheckResult(endpoint_id, at("2024-01-15T10:05:00"), CheckStatus.UP, 52.1),
        CheckResult(endpoint_id, at("2024-01-15T10:10:00"), CheckStatus.DOWN, None, "refused"),
        CheckResult(endpoint_id, at("2024-01-15T10:20:00"), CheckStatus.UP, 40.0),
    ])
    await store.write_outages([
        Outage(endpoint_id, at("2024-01-15T10:10:00"), at("2024-01-15T10:20:00"), "refused")
    ])
    await store.update_rollups()
    return endpoint_id


async def history(client: httpx.AsyncClient, endpoint_id: str, **params: str) -> dict[str, Any]:
    reply = await client.get(f"/api/history/endpoint/{endpoint_id}", params=params)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_each_bucket_fills_its_own_list(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        endpoint_id = await write_history(server)
        day = {"from": "2024-01-15T00:00:00Z", "to": "2024-01-16T00:00:00Z"}
        async with server.client() as client:
            raw = await history(client, endpoint_id, bucket="raw", **day)
            quarter = await history(client, endpoint_id, bucket="15m", **day)
            daily = await history(client, endpoint_id, bucket="daily", **day)

    assert [(c["ts"], c["status"], c["rttMs"]) for c in raw["raw"]] == [
        ("2024-01-15T10:01:00.000Z", "up", 45.2),
        ("2024-01-15T10:05:00.000Z", "up", 52.1),
        ("2024-01-15T10:10:00.000Z", "down", None),
        ("2024-01-15T10:20:00.000Z", "up", 40.0),
    ]
    assert raw["rollup15m"] == raw["rollupDaily"] == []
    assert quarter["rollup15m"] == [
        {"bucketTs": "2024-01-15T10:00:00.000Z", "upPct": 66.67, "avgRttMs": 48.65, "downEvents": 1},
        {"bucketTs": "2024-01-15T10:15:00.000Z", "upPct": 100.0, "avgRttMs": 40.0, "downEvents": 0},
    ]
    assert quarter["raw"] == quarter["rollupDaily"] == []
    assert daily["rollupDaily"] == [
        {"bucketDate": "2024-01-15", "upPct": 75.0, "avgRttMs": 45.77, "downEvents": 1}
    ]
    for body in (raw, quarter, daily):
        assert body["endpoint"]["id"] == endpoint_id
        assert body["outages"] == [{
            "startedTs": "2024-01-15T10:10:00.000Z", "endedTs": "2024-01-15T10:20:00.000Z",
            "durationS": 600.0, "lastError": "refused", "gap": False,
            "unreachableBehind": None,
        }]


async def test_a_range_starting_inside_a_bucket_includes_that_bucket(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        endpoint_id = await write_history(server)
        async with server.client() as client:
            quarter = await history(
                client, endpoint_id, bucket="15m", **{"from": "2024-01-15T10:07:00Z", "to": "2024-01-15T10:14:00Z"}
            )
            daily = await history(
                client, endpoint_id, bucket="daily", **{"from": "2024-01-15T12:00:00+02:00", "to": "2024-01-15T13:00:00Z"}
            )
            raw = await history(
                client, endpoint_id, bucket="raw", **{"from": "2024-01-15T10:05:00Z", "to": "2024-01-15T10:10:00Z"}
            )
    assert [bucket["bucketTs"] for bucket in quarter["rollup15m"]] == ["2024-01-15T10:00:00.000Z"]
    assert [bucket["bucketDate"] for bucket in daily["rollupDaily"]] == ["2024-01-15"]
    assert [check["ts"] for check in raw["raw"]] == ["2024-01-15T10:05:00.000Z"]  # to is excluded


async def test_bad_ranges_are_400_naming_the_problem(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        endpoint_id = next(iter(server.pulse.monitor.states))
        url = f"/api/history/endpoint/{endpoint_id}"
        async with server.client() as client:
            too_long = await client.get(url, params={"bucket": "raw", "from": "2024-01-01T00:00:00Z", "to": "2024-01-05T00:00:00Z"})
            backwards = await client.get(url, params={"from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"})
            bad_bucket = await client.get(url, params={"bucket": "hourly"})
            bad_time = await client.get(url, params={"from": "yesterday"})
            missing = await client.get("/api/history/endpoint/ffffffffffffffff")
    assert too_long.status_code == 400
    assert "2 days" in too_long.json()["message"]
    assert backwards.status_code == 400 and backwards.json()["message"] == "from must be before to"
    assert bad_bucket.status_code == 400 and bad_bucket.json()["errors"][0]["path"] == "bucket"
    assert bad_time.status_code == 400 and bad_time.json()["errors"][0]["path"] == "from"
    assert missing.status_code == 404


async def test_without_a_range_the_latest_day_of_raw_checks_is_returned(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        endpoint_id = await write_history(server)
        async with server.client() as client:
            body = await history(client, endpoint_id)
    assert all(check["ts"] > "2024-02" for check in body["raw"])
    assert body["outages"] == []
