"""Every route of the Grafana JSON data source, with the bodies Grafana really sends."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pulse_exporter_grafana.buckets import RAW_CHECK_BUDGET

from pulse_core.contract import Outage
from pulse_core.testing.server import RunningPulse

History = Any  # conftest.History: conftest modules cannot be imported under importlib mode

HOUR = 3600


def grafana_request(
    history: History, targets: list[dict[str, Any]], start_s: float, end_s: float,
    interval_ms: int = 3_600_000, max_points: int = 1000, **overrides: Any,
) -> dict[str, Any]:
    """A /query body as Grafana sends it, with the fields Pulse has no use for."""
    return {
        "app": "dashboard", "requestId": "Q101", "timezone": "browser", "panelId": 2,
        "dashboardUID": "pulse-network", "range": {
            "from": history.iso(start_s), "to": history.iso(end_s),
            "raw": {"from": "now-2d", "to": "now-1d"},
        },
        "rangeRaw": {"from": "now-2d", "to": "now-1d"}, "interval": "1h",
        "intervalMs": interval_ms, "maxDataPoints": max_points, "targets": targets,
        "scopedVars": {"__interval": {"text": "1h", "value": "1h"}},
        "startTime": 1_700_000_000_000, "adhocFilters": [], "filters": [],
        **overrides,
    }


def editor_target(target: str, ref_id: str = "A", **payload: Any) -> dict[str, Any]:
    """A target as the query editor sends it: parameters in ``payload``."""
    return {
        "refId": ref_id, "datasource": {"type": "simpod-json-datasource", "uid": "pulse"},
        "editorMode": "builder", "target": target, "payload": payload, "hide": False,
    }


async def post(server: RunningPulse, path: str, body: Any) -> Any:
    async with server.client() as client:
        reply = await client.post(f"/api/grafana{path}", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def post_error(server: RunningPulse, path: str, body: Any) -> str:
    async with server.client() as client:
        reply = await client.post(f"/api/grafana{path}", json=body)
    assert reply.status_code == 400, reply.text
    return str(reply.json()["message"])


async def test_connection_test_needs_a_signed_in_caller(history: History) -> None:
    async with history.server.client() as client:
        assert (await client.get("/api/grafana/")).status_code == 200
    async with history.server.client(authenticated=False) as anonymous:
        assert (await anonymous.get("/api/grafana/")).status_code == 401
        assert (await anonymous.post("/api/grafana/query", json={})).status_code == 401


async def test_metrics_lists_every_target_with_its_payload_fields(history: History) -> None:
    metrics = await post(history.server, "/metrics", {"metric": "", "payload": {}})
    by_value = {metric["value"]: metric for metric in metrics}
    assert set(by_value) == {"availability", "response_time", "status_count", "outages"}
    fields = {p["name"] for p in by_value["response_time"]["payloads"]}
    assert fields == {"endpointId", "group", "aggregation", "interval"}
    aggregation = next(p for p in by_value["response_time"]["payloads"] if p["name"] == "aggregation")
    assert [o["value"] for o in aggregation["options"]] == ["avg", "min", "max", "p50", "p95", "p99"]


async def test_payload_options_list_endpoints_of_a_group_and_its_subgroups(
    history: History,
) -> None:
    body = {"metric": "availability", "payload": {"group": "network"}, "name": "endpointId"}
    options = await post(history.server, "/metric-payload-options", body)
    assert {o["value"] for o in options} == {history.ids["router-01"], history.ids["switch-01"]}
    assert any(o["label"].startswith("router-01 (127.0.0.1:") for o in options)
    groups = await post(
        history.server, "/metric-payload-options", {"metric": "x", "payload": {}, "name": "group"}
    )
    assert {"label": "Core", "value": "network-core"} in groups


async def test_availability_per_hour_from_raw_checks(history: History) -> None:
    router = history.ids["router-01"]
    body = grafana_request(history, [editor_target("availability", endpointId=router)], 0, 6 * HOUR)
    (series,) = await post(history.server, "/query", body)
    assert series["target"] == "router-01 availability"
    start_ms = round(history.day_start * 1000)
    assert series["datapoints"] == [[90.0, start_ms + hour * HOUR * 1000] for hour in range(6)]


async def test_group_and_all_pool_their_endpoints(history: History) -> None:
    targets = [
        editor_target("availability", "A", group="network"),
        editor_target("availability", "B"),
        {**editor_target("availability", "C", group="servers"), "hide": True},  # not answered
    ]
    network, everything = await post(
        history.server, "/query", grafana_request(history, targets, 0, 2 * HOUR)
    )
    assert network["target"] == "Network availability"
    assert [p[0] for p in network["datapoints"]] == [90.0, 90.0]  # switch-01 has no checks
    assert [p[0] for p in everything["datapoints"]] == [45.0, 45.0]  # router 54 + server 0 of 120


async def test_response_time_aggregations(history: History) -> None:
    router = history.ids["router-01"]
    targets = [
        editor_target("response_time", ref, endpointId=router, aggregation=aggregation)
        for ref, aggregation in zip("ABCDEF", ("avg", "min", "max", "p50", "p95", "p99"))
    ]
    answers = await post(history.server, "/query", grafana_request(history, targets, 0, HOUR))
    values = [series["datapoints"][0][0] for series in answers]
    assert values == [15.0, 11.0, 19.0, 15.0, 19.0, 19.0]
    assert answers[4]["target"] == "router-01 response time p95"


async def test_the_target_interval_is_distinct_from_the_panel_interval(history: History) -> None:
    router = history.ids["router-01"]
    body = grafana_request(
        history, [editor_target("availability", endpointId=router, interval="30m")], 0, 2 * HOUR,
        interval_ms=60_000,
    )
    (series,) = await post(history.server, "/query", body)
    assert len(series["datapoints"]) == 4  # 30 m buckets, not the panel's 1 m


async def test_never_more_points_than_max_data_points(history: History) -> None:
    router = history.ids["router-01"]
    body = grafana_request(
        history, [editor_target("availability", endpointId=router, interval="1m")], 0, 6 * HOUR,
        interval_ms=1000, max_points=7,
    )
    (series,) = await post(history.server, "/query", body)
    assert 1 <= len(series["datapoints"]) <= 7


async def test_long_ranges_come_from_rollups(history: History) -> None:
    router = history.ids["router-01"]
    endpoints = len(history.server.pulse.config.endpoints)
    span_s = 30 * 86400
    assert span_s * endpoints > RAW_CHECK_BUDGET  # at a check a second: past the raw budget
    start = -28 * 86400
    hourly = grafana_request(
        history, [editor_target("availability", endpointId=router)], start, start + span_s
    )
    (series,) = await post(history.server, "/query", hourly)
    assert len(series["datapoints"]) == 24 and {p[0] for p in series["datapoints"]} == {90.0}
    assert series["datapoints"][0][1] == round(history.day_start * 1000)

    daily = grafana_request(
        history, [editor_target("response_time", endpointId=router)], start, start + span_s,
        interval_ms=86_400_000, max_points=40,
    )
    (series,) = await post(history.server, "/query", daily)
    assert series["datapoints"] == [[15.0, round(history.day_start * 1000)]]

    sparse = grafana_request(
        history, [editor_target("availability")], start, start + span_s, max_points=20
    )
    (series,) = await post(history.server, "/query", sparse)
    assert 1 <= len(series["datapoints"]) <= 20

    percentile = grafana_request(
        history, [editor_target("response_time", endpointId=router, aggregation="p95")],
        start, start + span_s,
    )
    assert "needs raw checks" in await post_error(history.server, "/query", percentile)


async def _wait_for_live_statuses(server: RunningPulse, expected: dict[str, str]) -> None:
    """Until the monitor shows ``expected`` (endpoint name -> live status)."""
    deadline = time.monotonic() + 15
    while True:
        now = time.time()
        seen = {
            state.endpoint.name: state.live_status(now).value
            for state in server.pulse.monitor.states.values()
        }
        if seen == expected:
            return
        assert time.monotonic() < deadline, f"live statuses {seen}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_status_count_counts_live_statuses(history: History) -> None:
    await _wait_for_live_statuses(
        history.server, {"router-01": "up", "switch-01": "up", "server-01": "down"}
    )
    targets = [
        editor_target("status_count", "A", status="online"),
        editor_target("status_count", "B", status="offline"),
        editor_target("status_count", "C", status="online", group="servers"),
    ]
    online, offline, servers_online = await post(
        history.server, "/query", grafana_request(history, targets, 0, HOUR)
    )
    assert online["datapoints"][0][0] == 2 and offline["datapoints"][0][0] == 1
    assert servers_online["datapoints"][0][0] == 0
    assert abs(online["datapoints"][0][1] / 1000 - time.time()) < 60


async def test_outages_as_a_table_and_as_annotations(history: History) -> None:
    # a period server-01 spent unreachable behind router-01 is router-01's outage, not its own
    await history.server.pulse.store.write_outages([Outage(
        history.ids["server-01"], history.day_start + 2 * HOUR, history.day_start + 3 * HOUR,
        "refused", cause=history.ids["router-01"],
    )])
    table, annotations = await post(history.server, "/query", grafana_request(history, [
        editor_target("outages", "A"),
        editor_target("outages", "B", group="servers", format="annotations"),
    ], 0, 6 * HOUR))
    assert table["type"] == "table"
    assert [c["text"] for c in table["columns"]][:4] == ["Start", "End", "Endpoint", "Group"]
    assert len(table["rows"]) == 2
    rows = {row[2]: row for row in table["rows"]}
    assert rows["server-01"][4] == 86400.0 and rows["server-01"][5] == "refused"
    assert rows["router-01"][1] is None  # still open
    assert [c["text"] for c in annotations["columns"]] == ["time", "timeEnd", "title", "text", "tags"]
    (row,) = annotations["rows"]
    assert row[2] == "server-01 offline" and row[4] == ["outage", "servers"]
    assert row[1] - row[0] == 86_400_000


async def test_variable_tag_keys_and_tag_values(history: History) -> None:
    window = {"from": history.iso(0), "to": history.iso(HOUR), "raw": {"from": "now-1h", "to": "now"}}
    groups = await post(history.server, "/variable", {"payload": {"target": "groups"}, "range": window})
    assert {"__text": "Network", "__value": "network"} in groups
    endpoints = await post(
        history.server, "/variable",
        {"payload": {"target": "endpoints", "group": "servers"}, "range": window},
    )
    assert [e["__value"] for e in endpoints] == [history.ids["server-01"]]
    keys = await post(history.server, "/tag-keys", {})
    assert {"type": "string", "text": "group"} in keys
    values = await post(history.server, "/tag-values", {"key": "group"})
    assert {"text": "network-core"} in values
    assert "variable query 'nothing'" in await post_error(
        history.server, "/variable", {"payload": {"target": "nothing"}}
    )


async def test_ad_hoc_filters_narrow_every_target(history: History) -> None:
    body = grafana_request(
        history, [editor_target("availability")], 0, HOUR,
        adhocFilters=[{"key": "group", "operator": "!=", "value": "servers"}],
    )
    (series,) = await post(history.server, "/query", body)
    assert series["datapoints"][0][0] == 90.0  # server-01 filtered out


async def test_mistakes_get_clear_messages(history: History) -> None:
    def body(target: dict[str, Any]) -> dict[str, Any]:
        return grafana_request(history, [target], 0, HOUR)

    assert "not one of: availability" in await post_error(
        history.server, "/query", body(editor_target("uptime"))
    )
    assert "30x" in await post_error(
        history.server, "/query", body(editor_target("availability", interval="30x"))
    )
    assert "'ep-123' is not an endpoint" in await post_error(
        history.server, "/query", body({"target": "availability", "endpointId": "ep-123"})
    )
    assert "group 'nowhere'" in await post_error(
        history.server, "/query", body(editor_target("availability", group="nowhere"))
    )
    assert "range.from must be before range.to" in await post_error(
        history.server, "/query", grafana_request(history, [editor_target("availability")], HOUR, 0)
    )


async def test_a_body_that_is_no_json_object_is_a_400_not_an_empty_query(history: History) -> None:
    async with history.server.client() as client:
        for body in (b"\x00", b"", b"null", b"[]"):
            reply = await client.post(
                "/api/grafana/query", content=body, headers={"Content-Type": "application/json"}
            )
            assert reply.status_code == 400, (body, reply.text)
            assert "request body" in reply.json()["message"]
