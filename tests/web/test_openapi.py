"""The OpenAPI document, and property-based fuzzing of every route in it with schemathesis."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from pulse_core import __version__
from pulse_core.testing.listeners import TcpListener
from pulse_core.testing.server import running_pulse

EXAMPLES_PER_OPERATION = 30

READ_ROUTES = {
    "/api/status/live", "/api/endpoints/{endpoint_id}", "/api/history/endpoint/{endpoint_id}",
    "/api/groups", "/api/groups/{group_id}", "/api/export/history",
}


def config(port: int) -> str:
    return f"""
version: 1
defaults: {{interval_seconds: 1, timeout_ms: 300}}
groups: [{{id: plant, name: Plant}}, {{id: line-1, name: Line 1, parent_id: plant}}]
targets:
  - {{type: tcp, host: 127.0.0.1, port: {port}, group: line-1, name: PLC}}
  - {{type: tcp, host: 127.0.0.2, port: {port}, group: plant, name: Historian}}
"""


async def test_document_is_public_and_describes_the_api(tmp_path: Path) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client(authenticated=False) as client:
            reply = await client.get("/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["info"]["title"] == "Pulse" and document["info"]["version"] == __version__
    assert READ_ROUTES <= set(document["paths"])
    assert all(path.startswith("/api/") for path in document["paths"])  # no dashboard pages
    assert document["components"]["securitySchemes"] == {
        "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "Pulse API key"},
        "password": {"type": "http", "scheme": "basic"},
    }
    assert document["security"] == [{"apiKey": []}, {"password": []}]
    assert document["paths"]["/api/health"]["get"]["security"] == []
    export = document["paths"]["/api/export/history"]["get"]
    required = {p["name"] for p in export["parameters"] if p.get("required")}
    assert required == {"startTime", "endTime"}
    assert set(export["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    live = document["paths"]["/api/status/live"]["get"]
    assert live["x-pulse-role"] == "viewer" and "security" not in live


def strategies(operation: Any, known_ids: dict[str, str]) -> Any:
    """Valid and invalid inputs; for paths with an id, also the real one, so the fuzzing goes
    past the 404 into the query parameters."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    choices = [operation.as_strategy(mode) for mode in modes]
    real = {name: value for name, value in known_ids.items() if "{%s}" % name in operation.path}
    if real:
        choices += [operation.as_strategy(mode, path_parameters=real) for mode in modes]
    return st.one_of(choices)


def fuzz(
    document: dict[str, Any], base_url: str, headers: dict[str, str], known_ids: dict[str, str]
) -> list[str]:
    """Run every operation of ``document`` with generated inputs; return the failures."""
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )
        @given(case=strategies(operation, known_ids))
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=10)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Exception as failure:  # one failing operation must not hide the others
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    return failures


async def test_no_input_makes_any_route_fail_with_a_server_error(tmp_path: Path) -> None:
    plc = TcpListener()
    await plc.start()
    async with running_pulse(config(plc.port), tmp_path) as server:
        async with server.client() as client:
            document = (await client.get("/openapi.json")).json()
        known_ids = {"endpoint_id": next(iter(server.pulse.monitor.states)), "group_id": "plant"}
        failures = await asyncio.to_thread(
            fuzz, document, server.base_url, server.auth_headers, known_ids
        )
    await plc.stop()
    assert failures == []
