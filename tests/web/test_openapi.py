"""The OpenAPI document: what it declares for every operation, and the 405's ``Allow``.

Whether the server keeps to the document is schemathesis's job, in ``test_schemathesis.py``.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from pulse_core import __version__
from pulse_core.testing.server import running_pulse
from pulse_core.web.server import create_web_app

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


@pytest.fixture
async def document(tmp_path: Path) -> dict[str, Any]:
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client(authenticated=False) as client:
            reply = await client.get("/openapi.json")
    document: dict[str, Any] = reply.json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


async def test_every_operation_declares_its_answers_and_their_errors(
    document: dict[str, Any],
) -> None:
    error = {"$ref": "#/components/schemas/ErrorBody"}
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"message"}
    for name, operation in operations(document):
        responses = operation["responses"]
        path_parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        public = operation.get("security") == []
        assert operation["summary"], name
        assert any(status.startswith("2") for status in responses), name
        assert all(response["description"] for response in responses.values()), name
        for status, response in responses.items():
            if int(status) >= 400 and name != "GET /api/health":
                assert response["content"]["application/json"]["schema"] == error, (name, status)
        if not public:
            assert {"401", "403", "503"} <= set(responses), name
            assert "WWW-Authenticate" in responses["401"]["headers"], name
        if path_parameters:
            assert "404" in responses, name
        if "requestBody" in operation or operation.get("parameters", []) != path_parameters:
            assert "400" in responses, name
        if "requestBody" in operation:
            assert "413" in responses, name
        if name.split()[0] in ("POST", "PUT", "PATCH", "DELETE"):  # the guard's CSRF check
            assert {"403", "415"} <= set(responses), name
        if name != "GET /api/health":
            assert "Retry-After" in responses["429"]["headers"], name
    by_name = dict(operations(document))
    assert "401" not in by_name["GET /api/auth/setup-required"]["responses"]  # public
    assert set(by_name["GET /api/health"]["responses"]) == {"200", "503"}  # never limited
    assert {"409", "502", "504"} & set(by_name["POST /api/integrations/{name}/test"]["responses"])
    assert set(by_name["DELETE /api/apikeys/{key_id}"]["responses"]["204"]) == {"description"}


async def test_route_docstrings_are_written_in_markdown(tmp_path: Path) -> None:
    """They are the operations' descriptions: one style, the one OpenAPI viewers render."""
    async with running_pulse(config(9), tmp_path) as server:
        app = create_web_app(server.pulse)
    docstrings = {
        rule.rule: inspect.unwrap(app.view_functions[rule.endpoint]).__doc__ or ""
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert [path for path, docstring in docstrings.items() if "``" in docstring] == []


async def test_descriptions_are_markdown(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "``" not in text and ":class:`" not in text and ":func:`" not in text
    live = document["paths"]["/api/status/live"]["get"]
    assert "`status` is `down`" in live["description"]
    change_user = document["paths"]["/api/users/{user_id}"]["patch"]
    assert change_user["summary"] == (
        "Change a user's role, deactivate or reactivate them, or set a new password"
    )


async def test_a_method_a_path_does_not_take_is_a_405_naming_those_it_does(
    tmp_path: Path,
) -> None:
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client() as client:
            live = await client.delete("/api/status/live")
            endpoint = await client.patch("/api/endpoints/c8a48605b98ed819")
        async with server.client(authenticated=False) as anonymous:
            apply = await anonymous.get("/api/configuration/apply")
    assert live.status_code == 405
    assert live.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert live.json()["message"] == (
        "DELETE is not allowed on /api/status/live: it takes GET, HEAD, OPTIONS"
    )
    assert endpoint.status_code == 405
    assert endpoint.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"
    assert apply.status_code == 405 and apply.headers["Allow"] == "OPTIONS, POST"


async def test_a_numeric_id_beyond_64_bits_is_a_404_and_the_document_says_where_ids_end(
    tmp_path: Path,
) -> None:
    huge = 2**64
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client() as client:
            version = await client.get(f"/api/configuration/versions/{huge}")
            user = await client.patch(f"/api/users/{huge}", json={"active": True})
            key = await client.delete(f"/api/apikeys/{huge}")
            document = (await client.get("/openapi.json")).json()
    assert [version.status_code, user.status_code, key.status_code] == [404, 404, 404]
    (parameter,) = document["paths"]["/api/users/{user_id}"]["patch"]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


async def test_the_dead_letters_limit_is_read_as_documented(tmp_path: Path) -> None:
    """An empty or unreadable ``limit`` is a 400, not quietly the default."""
    async with running_pulse(config(9), tmp_path) as server:
        async with server.client() as client:
            replies = {
                limit: await client.get("/api/integrations/dead-letters", params={"limit": limit})
                for limit in ("", "many", "0", "1001", "5")
            }
            document = (await client.get("/openapi.json")).json()
    assert {limit: reply.status_code for limit, reply in replies.items()} == {
        "": 400, "many": 400, "0": 400, "1001": 400, "5": 200,
    }
    (parameter,) = document["paths"]["/api/integrations/dead-letters"]["get"]["parameters"]
    assert parameter["schema"]["minimum"] == 1 and parameter["schema"]["maximum"] == 1000
