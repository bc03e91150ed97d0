"""The JSON data source routes under ``/api/grafana``. Like every ``/api`` route they need a
viewer: give the data source a bearer API key or basic auth (``contrib/grafana``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, RootModel
from quart import Blueprint, request
from quart_schema import document_request, document_response, tag_blueprint

from pulse_core.contract import bad_request, current_pulse
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
tag_blueprint(blueprint, ["Grafana"])


class ConnectionOk(BaseModel):
    """The data source's connection test passed."""

    status: str
    message: str


class Answer(RootModel[list[dict[str, Any]]]):
    """What Grafana's JSON data source expects for this call."""


async def _body() -> dict[str, Any]:
    """The JSON object Grafana sends. Anything else is a 400 naming the problem: read
    silently, a body that is not JSON would be answered as if it were ``{}``."""
    body = await request.get_json(force=True)
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object, as Grafana sends")
    return body


@blueprint.get("/")
@document_response(ConnectionOk)
async def test_connection() -> dict[str, str]:
    """Grafana's connection test"""
    return {"status": "ok", "message": "Pulse JSON data source"}


@blueprint.post("/metrics")
@document_response(Answer)
async def list_metrics() -> list[dict[str, Any]]:
    """The metrics the query editor offers"""
    return catalog.metrics()


@blueprint.post("/metric-payload-options")
@document_request(PayloadOptionsRequest)
@document_response(Answer)
async def metric_payload_options() -> list[dict[str, str]]:
    """The choices for one field of a metric's payload (groups, endpoints...)"""
    body = parse(PayloadOptionsRequest, await _body())
    return catalog.payload_options(current_pulse().config, body.name, body.payload)


@blueprint.post("/query")
@document_request(QueryRequest)
@document_response(Answer)
async def query() -> list[dict[str, Any]]:
    """Time series, tables or annotations for the panel's targets over the range

    `range.from` must be before `range.to`, and each target's parameters valid for its
    metric (a known aggregation, status and interval): a 400 names the first problem and the
    target it is in.
    """
    return await answer(current_pulse(), parse(QueryRequest, await _body()))


@blueprint.post("/variable")
@document_request(VariableRequest)
@document_response(Answer)
async def variable() -> list[dict[str, str]]:
    """The values of a dashboard variable

    The payload (or the string itself) asks for `endpoints` (optionally of a `group`) or
    `groups`; anything else is a 400.
    """
    body = parse(VariableRequest, await _body())
    return catalog.variable_values(current_pulse().config, body.payload)


@blueprint.post("/tag-keys")
@document_response(Answer)
async def tag_keys() -> list[dict[str, str]]:
    """The keys ad hoc filters may use"""
    return [{"type": "string", "text": key} for key in FILTER_KEYS]


@blueprint.post("/tag-values")
@document_request(TagValuesRequest)
@document_response(Answer)
async def tag_values() -> list[dict[str, str]]:
    """The values an ad hoc filter key may take"""
    body = parse(TagValuesRequest, await _body())
    return catalog.tag_values(current_pulse().config, body.key)
