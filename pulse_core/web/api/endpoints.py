"""``GET /api/endpoints/{id}``: one endpoint with its recent checks and outages.

Only the read route lives here; creating, changing and deleting endpoints is
:mod:`pulse_core.web.api.endpoint_writes`.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core import hookimpl
from pulse_core.web.api.catalog import current_catalog
from pulse_core.web.api.schemas import EndpointDetail, ErrorBody
from pulse_core.web.api.topology import topology_item
from pulse_core.web.serialize import check_json, outage_json

blueprint = Blueprint("endpoints", __name__)
tag_blueprint(blueprint, ["Endpoints"])

#: a detail page is for a glance; longer spans belong to the history API
MAX_RECENT_CHECKS = 10_000


class DetailQuery(BaseModel):
    window_minutes: int = Field(60, alias="windowMinutes", ge=1, le=1440,
                                description="how far back recent checks and outages go")


@blueprint.get("/api/endpoints/<endpoint_id>")
@document_response(EndpointDetail)
@document_response(ErrorBody, 400)
@document_response(ErrorBody, 404)
@validate_querystring(DetailQuery)
async def endpoint_detail(endpoint_id: str, query_args: DetailQuery) -> dict[str, Any]:
    """One endpoint, its recent checks and outages

    `recent` holds the checks of the last `windowMinutes` (at most the newest 10,000),
    oldest first; `outages` those that overlap the window, the open one included;
    `details` what the probe told about the latest check (`{}` when nothing); `topology`
    what it depends on and what depends on it (`null` when neither, docs/topology.md).
    """
    entry = current_catalog().entry(endpoint_id)
    pulse = current_app.config["PULSE"]
    store = pulse.store
    end = time.time()
    start = end - query_args.window_minutes * 60
    checks = await store.checks(endpoint_id, start, end, limit=MAX_RECENT_CHECKS)
    outages = await store.outages(endpoint_id, start, end)
    return {
        "endpoint": entry.json,
        "recent": [check_json(check) for check in checks],
        "outages": [outage_json(outage) for outage in outages],
        "details": dict(pulse.monitor.details.get(endpoint_id, {})),
        "topology": topology_item(
            endpoint_id, pulse.config.dependencies, pulse.monitor.states, end
        ),
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
