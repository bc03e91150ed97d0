"""The answer types of ``thingconnect_pulse.results`` against the response schemas of a real
Pulse's ``/openapi.json``: every key a type names is one the route answers, nested types
included, so a type checker never promises a key Pulse does not send."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import httpx
import pytest
from thingconnect_pulse import results

from pulse_core.testing.server import RunningPulse

Schema = dict[str, Any]

#: (method, route, status) -> the type its client method answers
ANSWERS: list[tuple[str, str, str, type]] = [
    ("get", "/api/endpoints/{endpoint_id}", "200", results.EndpointDetail),
    ("get", "/api/history/endpoint/{endpoint_id}", "200", results.History),
    ("post", "/api/endpoints", "201", results.WrittenEndpoint),
    ("delete", "/api/endpoints/{endpoint_id}", "200", results.ApplyResult),
    ("post", "/api/configuration/apply", "200", results.ApplyResult),
]


@pytest.fixture
async def openapi(server: RunningPulse) -> Schema:
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        document: Schema = (await client.get("/openapi.json")).json()
    return document


def test_live_status_items(openapi: Schema) -> None:
    answer = response_schema(openapi, "get", "/api/status/live", "200")
    items = resolve(openapi, answer)["properties"]["items"]
    assert not mismatches(openapi, results.LiveStatusItem, items["items"])


@pytest.mark.parametrize(
    ("method", "route", "status", "answer_type"),
    ANSWERS,
    ids=[f"{method} {route}" for method, route, _, _ in ANSWERS],
)
def test_answer_types_name_only_keys_pulse_sends(
    openapi: Schema, method: str, route: str, status: str, answer_type: type
) -> None:
    assert not mismatches(openapi, answer_type, response_schema(openapi, method, route, status))


def test_a_key_pulse_does_not_send_would_be_found(openapi: Schema) -> None:
    class Misnamed(results.Group):
        parent: str

    answer = response_schema(openapi, "get", "/api/groups/{group_id}", "200")
    assert mismatches(openapi, Misnamed, answer) == ["Misnamed.parent"]


def response_schema(openapi: Schema, method: str, route: str, status: str) -> Schema:
    content = openapi["paths"][route][method]["responses"][status]["content"]
    schema: Schema = content["application/json"]["schema"]
    return schema


def resolve(openapi: Schema, schema: Schema) -> Schema:
    """The schema a ``$ref`` points at, and the non-null branch of an optional one."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return resolve(openapi, openapi["components"]["schemas"][name])
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return resolve(openapi, branches[0]) if len(branches) == 1 else schema


def mismatches(openapi: Schema, answer_type: type, schema: Schema) -> list[str]:
    """The ``Type.key`` paths a typed answer names that the schema does not have."""
    found: list[str] = []
    properties = resolve(openapi, schema).get("properties", {})
    for key, hint in get_type_hints(answer_type).items():
        if key not in properties:
            found.append(f"{answer_type.__name__}.{key}")
            continue
        nested, inner = _typed_dict_in(hint), resolve(openapi, properties[key])
        if nested is not None:
            if inner.get("type") == "array":
                inner = inner["items"]
            found += mismatches(openapi, nested, inner)
    return found


def _typed_dict_in(hint: Any) -> type | None:
    """The TypedDict a hint holds: itself, in a list, or in an optional."""
    if is_typeddict(hint):
        return hint  # type: ignore[no-any-return]
    if get_origin(hint) in (list, Union, types.UnionType):
        return next((t for t in map(_typed_dict_in, get_args(hint)) if t is not None), None)
    return None
