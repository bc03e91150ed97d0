"""``GET /api/export/history``: streamed CSV and JSON, parsed back, and its 400s."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

from pulse_core.models import CheckResult, CheckStatus
from pulse_core.testing.server import RunningPulse, running_pulse

#: raw checks older than the retention period are never exported, so it reaches back to 2024
CONFIG = """
version: 1
defaults: {interval_seconds: 3600}
storage: {url: "sqlite:///%s", retention_days: 36500}
groups:
  - {id: plant, name: Plant}
  - {id: line-1, name: Line 1, parent_id: plant}
  - {id: office, name: Office}
targets:
  - {type: tcp, host: 127.0.0.1, port: 9, group: line-1, name: PLC}
  - {type: tcp, host: 127.0.0.2, port: 9, group: plant, name: Historian}
  - {type: tcp, host: 127.0.0.3, port: 9, group: office, name: Printer}
"""

#: the example of docs/api.md and docs/integrations.md, exactly
DOCUMENTED_EXAMPLE = (
    "/api/export/history?format=csv&bucket=daily"
    "&startTime=2024-01-01T00:00:00Z&endTime=2024-01-31T23:59:59Z"
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


async def write_january(server: RunningPulse) -> dict[str, str]:
    """Every endpoint: an up check (20 ms) on 1 and 31 January, a down check on 31 January,
    and one check in February that no January export may show. Returns ids by name."""
    states = server.pulse.monitor.states
    ids = {state.endpoint.name: endpoint_id for endpoint_id, state in states.items()}
    checks = []
    for endpoint_id in ids.values():
        checks += [
            CheckResult(endpoint_id, at("2024-01-01T08:00:00"), CheckStatus.UP, 20.0),
            CheckResult(endpoint_id, at("2024-01-31T08:00:00"), CheckStatus.UP, 20.0),
            CheckResult(endpoint_id, at("2024-01-31T09:00:00"), CheckStatus.DOWN, None, "timed out"),
            CheckResult(endpoint_id, at("2024-02-01T08:00:00"), CheckStatus.UP, 20.0),
        ]
    await server.pulse.store.write_checks(checks)
    await server.pulse.store.update_rollups()
    return ids


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_documented_curl_example_streams_one_row_per_endpoint_and_day(tmp_path: Path) -> None:
    async with running_pulse(CONFIG % (tmp_path / "pulse.db"), tmp_path) as server:
        ids = await write_january(server)
        async with server.client() as client:
            reply = await client.get(DOCUMENTED_EXAMPLE)

    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert reply.headers["content-disposition"] == (
        'attachment; filename="pulse-history-daily-20240101-20240131.csv"'
    )
    assert reply.text.splitlines()[0] == (
        "endpointId,endpointName,groupId,groupName,bucketDate,upPct,avgRttMs,downEvents,checks"
    )
    rows = parse_csv(reply.text)
    assert [(row["endpointName"], row["bucketDate"]) for row in rows] == [
        (name, day) for name in ("PLC", "Printer", "Historian") for day in ("2024-01-01", "2024-01-31")
    ]
    last_day = rows[1]
    assert last_day == {
        "endpointId": ids["PLC"], "endpointName": "PLC", "groupId": "line-1", "groupName": "Line 1",
        "bucketDate": "2024-01-31", "upPct": "50.0", "avgRttMs": "20.0", "downEvents": "1",
        "checks": "2",
    }


async def test_json_raw_and_filters(tmp_path: Path) -> None:
    async with running_pulse(CONFIG % (tmp_path / "pulse.db"), tmp_path) as server:
        ids = await write_january(server)
        january = {"startTime": "2024-01-01T00:00:00Z", "endTime": "2024-02-01T00:00:00Z"}
        async with server.client() as client:
            as_json = await client.get(
                "/api/export/history", params={"format": "json", "bucket": "15m", **january}
            )
            plant_raw = await client.get(
                "/api/export/history", params={"bucket": "raw", "group": "plant", **january}
            )
            one = await client.get(
                "/api/export/history",
                params={"bucket": "raw", "endpointId": ids["Printer"], "format": "json", **january},
            )

    body = as_json.json()
    assert as_json.headers["content-disposition"].endswith('.json"')
    assert (body["bucket"], body["startTime"], body["endTime"]) == (
        "15m", "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"
    )
    assert body["columns"] == [
        "endpointId", "endpointName", "groupId", "groupName", "bucketTs", "upPct", "avgRttMs",
        "downEvents", "checks",
    ]
    assert len(body["items"]) == 9 and all(set(item) == set(body["columns"]) for item in body["items"])
    assert body["items"][0]["bucketTs"] == "2024-01-01T08:00:00.000Z"

    rows = parse_csv(plant_raw.text)
    assert {row["endpointName"] for row in rows} == {"PLC", "Historian"}  # line-1 is in plant
    assert [(row["status"], row["rttMs"], row["error"]) for row in rows[:3]] == [
        ("up", "20.0", ""), ("up", "20.0", ""), ("down", "", "timed out"),
    ]
    assert {item["endpointName"] for item in one.json()["items"]} == {"Printer"}


async def test_bad_requests_are_400_with_a_message(tmp_path: Path) -> None:
    async with running_pulse(CONFIG % (tmp_path / "pulse.db"), tmp_path) as server:
        week = {"startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-08T00:00:00Z"}
        async with server.client() as client:
            replies = {
                "format": await client.get("/api/export/history", params={"format": "xml", **week}),
                "bucket": await client.get("/api/export/history", params={"bucket": "hour", **week}),
                "order": await client.get(
                    "/api/export/history",
                    params={"startTime": week["endTime"], "endTime": week["startTime"]},
                ),
                "missing": await client.get("/api/export/history", params={"endTime": week["endTime"]}),
                "group": await client.get("/api/export/history", params={"group": "nowhere", **week}),
                "endpoint": await client.get("/api/export/history", params={"endpointId": "x", **week}),
            }
    assert {name: reply.status_code for name, reply in replies.items()} == dict.fromkeys(replies, 400)
    messages = {name: reply.json()["message"] for name, reply in replies.items()}
    assert "format" in messages["format"] and "bucket" in messages["bucket"]
    assert messages["order"] == "startTime must be before endTime"
    assert "startTime" in messages["missing"]
    assert "nowhere" in messages["group"] and "'x'" in messages["endpoint"]
