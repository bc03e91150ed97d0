"""The query bodies of docs/integrations.md, as written (parameters at the top level of the
target), and the same parameters inside ``payload``; and its dashboard panels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HOUR = 3600
REPOSITORY = Path(__file__).resolve().parents[3]


def availability_of(endpoint_id: str) -> dict[str, Any]:
    return {"target": "availability", "endpointId": endpoint_id, "refId": "A"}


def response_time_of(endpoint_id: str) -> dict[str, Any]:
    return {
        "target": "response_time", "endpointId": endpoint_id, "aggregation": "avg",
        "interval": "5m", "refId": "B",
    }


def in_payload(target: dict[str, Any]) -> dict[str, Any]:
    parameters = {k: v for k, v in target.items() if k not in ("target", "refId")}
    return {"target": target["target"], "refId": target["refId"], "payload": parameters}


def query(history: Any, *targets: dict[str, Any]) -> dict[str, Any]:
    return {
        "range": {"from": history.iso(0), "to": history.iso(HOUR)},
        "intervalMs": 60_000, "maxDataPoints": 500, "targets": list(targets),
    }


async def test_documented_queries_top_level_and_in_payload_agree(history: Any) -> None:
    router = history.ids["router-01"]
    documented = [availability_of(router), response_time_of(router)]
    async with history.server.client() as client:
        top_level = (await client.post("/api/grafana/query", json=query(history, *documented))).json()
        payload = (
            await client.post("/api/grafana/query", json=query(history, *map(in_payload, documented)))
        ).json()
    assert top_level == payload
    availability, response_time = top_level
    assert len(availability["datapoints"]) == 60  # the panel's 1 m
    assert len(response_time["datapoints"]) == 12  # the target's 5 m
    # minutes 0-4: one failed check, then 11, 12, 13, 14 ms
    assert response_time["datapoints"][0] == [12.5, round(history.day_start * 1000)]


async def test_payload_wins_over_the_top_level(history: Any) -> None:
    target = {
        "target": "availability", "endpointId": history.ids["server-01"], "refId": "A",
        "payload": {"endpointId": history.ids["router-01"]},
    }
    async with history.server.client() as client:
        (series,) = (await client.post("/api/grafana/query", json=query(history, target))).json()
    assert series["target"] == "router-01 availability"


async def test_the_documented_dashboard_panels_answer(history: Any) -> None:
    dashboard = json.loads((REPOSITORY / "contrib/grafana/network-monitoring.json").read_text())
    documented = [
        {"target": "status_count", "status": "online"},
        {"target": "response_time", "aggregation": "avg", "interval": "1m"},
    ]
    shipped = [
        {k: v for k, v in target.items() if k in ("target", "status", "aggregation", "interval")}
        for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    assert all(target in shipped for target in documented)
    async with history.server.client() as client:
        reply = await client.post("/api/grafana/query", json=query(history, *documented))
    assert reply.status_code == 200, reply.text
    status_count, response_time = reply.json()
    assert status_count["target"] == "All endpoints online"
    assert len(response_time["datapoints"]) == 54  # minutes with a successful check: 9 in 10


def dashboard_queries(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every query of a dashboard: panel targets and annotation queries on the Pulse source."""
    targets = [target for panel in dashboard["panels"] for target in panel.get("targets", [])]
    targets += [
        annotation["target"]
        for annotation in dashboard["annotations"]["list"]
        if annotation.get("datasource", {}).get("uid") == "pulse"
    ]
    return targets


async def test_every_query_of_the_shipped_dashboards_answers(history: Any) -> None:
    router = history.ids["router-01"]
    async with history.server.client() as client:
        for name in ("network-monitoring.json", "endpoint-detail.json"):
            text = (REPOSITORY / "contrib/grafana" / name).read_text()
            dashboard = json.loads(text.replace("$endpoint", router))  # as Grafana substitutes
            for variable in dashboard["templating"]["list"]:
                reply = await client.post(
                    "/api/grafana/variable",
                    json={"payload": {"target": variable["query"]["query"]}},
                )
                assert router in {v["__value"] for v in reply.json()}
            targets = dashboard_queries(dashboard)
            reply = await client.post("/api/grafana/query", json=query(history, *targets))
            assert reply.status_code == 200, f"{name}: {reply.text}"
            assert len(reply.json()) == len(targets)
