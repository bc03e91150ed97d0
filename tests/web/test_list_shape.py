"""Every list the API answers is ``{"items": [...]}``, never a bare array: one shape for
clients to read, with room for more fields beside the items later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulse_core.testing.server import running_pulse

CONFIG = """
version: 1
defaults: {interval_seconds: 60}
groups: [{id: plant, name: Plant}]
targets: [{type: tcp, host: 127.0.0.1, port: 9, group: plant}]
"""


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = document["components"]["schemas"][name]
    return schema


def json_answers(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``GET path`` -> the schema of its 200 JSON answer, for every GET that has one."""
    answers = {}
    for path, operations in document["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            answers[f"GET {path}"] = resolved(document, schema)
    return answers


async def test_every_list_route_answers_items(tmp_path: Path) -> None:
    async with running_pulse(CONFIG, tmp_path) as server:
        async with server.client() as admin:
            document = (await admin.get("/openapi.json")).json()
            users = (await admin.get("/api/users")).json()
            keys = (await admin.get("/api/apikeys")).json()
    answers = json_answers(document)
    bare_arrays = sorted(route for route, schema in answers.items() if schema.get("type") == "array")
    listing = {
        route: resolved(document, schema["properties"]["items"])
        for route, schema in answers.items()
        if "items" in schema.get("properties", {})
    }
    assert bare_arrays == []
    assert {"GET /api/users", "GET /api/apikeys", "GET /api/groups"} <= set(listing)
    assert all(schema.get("type") == "array" for schema in listing.values())
    assert isinstance(users["items"], list) and isinstance(keys["items"], list)
    assert [key["name"] for key in keys["items"]] == ["test kit"]
