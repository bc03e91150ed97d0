"""``GET /api/status/live``: every endpoint's live status, as the dashboard polls it."""

from __future__ import annotations

import time
from typing import Callable

from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, request
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core import hookimpl
from pulse_core.web.api.catalog import current_catalog
from pulse_core.web.api.live import live_board
from pulse_core.web.api.schemas import ErrorBody, LiveStatus
from pulse_core.web.api.live_gzip import accepts_gzip, gzip_runs, in_chunks

blueprint = Blueprint("status", __name__)
tag_blueprint(blueprint, ["Status"])


class LiveQuery(BaseModel):
    group: str | None = Field(None, description="a group id; its child groups are included")
    search: str | None = Field(
        None, description="case-insensitive part of an endpoint's name, host or address"
    )


@blueprint.get("/api/status/live")
@document_response(LiveStatus)
@document_response(ErrorBody, 400)
@validate_querystring(LiveQuery)
async def live_status(query_args: LiveQuery) -> Response:
    """Live status of every endpoint

    Sorted by group (sort order, then name), then endpoint name. `status` is `down` when
    the endpoint has no check yet or its latest is older than two intervals, `flapping` after
    more than three changes in five minutes, else the latest status. `sparkline` holds
    the latest 20 checks, oldest first, their times to the second. A `group` that is not
    a configured group's id is a 400. Gzip-compressed when the client accepts it
    (`Accept-Encoding: gzip`).
    """
    catalog = current_catalog()
    entries = catalog.select(group_id=query_args.group, search=query_args.search)
    states = current_app.config["PULSE"].monitor.states
    body = live_board().render(catalog, entries, states, time.time())
    if accepts_gzip(request):
        pieces = await gzip_runs().gzip(body)
        response = Response(in_chunks(pieces), content_type="application/json")
        response.headers["Content-Encoding"] = "gzip"
        response.content_length = sum(map(len, pieces))
    else:
        response = Response(body.chunks(), content_type="application/json")
        response.content_length = len(body)
    response.vary.add("Accept-Encoding")  # caches keep the two answers apart
    return response


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
