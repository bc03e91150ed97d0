"""The JSON data source routes under ``/api/grafana``. Like every ``/api`` route they need a
viewer: give the data source a bearer API key or basic auth (``contrib/grafana``)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, request

from pulse_exporter_grafana import catalog
from pulse_exporter_grafana.answers import answer
from pulse_exporter_grafana.protocol import (
    PayloadOptionsRequest,
    QueryRequest,
    TagValuesRequest,
    VariableRequest,
    parse,
)
from pulse_exporter_grafana.scope import FILTER_KEYS

blueprint = Blueprint("grafana", __name__, url_prefix="/api/grafana")


async def _body() -> Any:
    return await request.get_json(force=True, silent=True)


@blueprint.get("/")
async def test_connection() -> dict[str, str]:
    return {"status": "ok", "message": "Pulse JSON data source"}


@blueprint.post("/metrics")
async def list_metrics() -> list[dict[str, Any]]:
    return catalog.metrics()


@blueprint.post("/metric-payload-options")
async def metric_payload_options() -> list[dict[str, str]]:
    body = parse(PayloadOptionsRequest, await _body())
    return catalog.payload_options(current_app.config["PULSE"].config, body.name, body.payload)


@blueprint.post("/query")
async def query() -> list[dict[str, Any]]:
    return await answer(current_app.config["PULSE"], parse(QueryRequest, await _body()))


@blueprint.post("/variable")
async def variable() -> list[dict[str, str]]:
    body = parse(VariableRequest, await _body())
    return catalog.variable_values(current_app.config["PULSE"].config, body.payload)


@blueprint.post("/tag-keys")
async def tag_keys() -> list[dict[str, str]]:
    return [{"type": "string", "text": key} for key in FILTER_KEYS]


@blueprint.post("/tag-values")
async def tag_values() -> list[dict[str, str]]:
    body = parse(TagValuesRequest, await _body())
    return catalog.tag_values(current_app.config["PULSE"].config, body.key)
