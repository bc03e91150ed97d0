"""``GET /api/history/endpoint/{id}``: one endpoint's checks or rollups over a range.

Rollups are brought up to date by the maintenance task once a minute, so the bucket that is
still filling is included as it stood then (at most about a minute behind the raw checks).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core import hookimpl
from pulse_core.contract.view import current_pulse
from pulse_core.models import Resolution
from pulse_core.web.api.catalog import current_catalog
from pulse_core.web.api.query import Bucket, Instant, checked_range, whole_buckets
from pulse_core.web.api.schemas import EndpointHistory, ErrorBody
from pulse_core.web.serialize import check_json, outage_json, rollup_15m_json, rollup_daily_json

blueprint = Blueprint("history", __name__)
tag_blueprint(blueprint, ["History"])

#: the span asked for when ``from`` is left out, and the longest span allowed, in days
DEFAULT_DAYS: dict[str, float] = {"raw": 1, "15m": 7, "daily": 90}
MAX_DAYS: dict[str, float] = {"raw": 2, "15m": 93, "daily": 3660}


class HistoryQuery(BaseModel):
    start: Instant | None = Field(
        None, alias="from", description="start of the range (default: `to` minus 1, 7 or 90 days "
        "for raw, 15m, daily)")
    end: Instant | None = Field(None, alias="to", description="end of the range (default: now)")
    bucket: Bucket = Field("raw", description="raw checks (at most 2 days), 15-minute rollups "
                           "(at most 93 days) or daily rollups (at most 3660 days)")


@blueprint.get("/api/history/endpoint/<endpoint_id>")
@document_response(EndpointHistory)
@document_response(ErrorBody, 400)
@document_response(ErrorBody, 404)
@validate_querystring(HistoryQuery)
async def endpoint_history(endpoint_id: str, query_args: HistoryQuery) -> dict[str, Any]:
    """One endpoint's history over a range

    Only the list of the requested bucket is filled; rollup buckets that overlap the range are
    included whole. `outages` are those overlapping the range. `from` must be before
    `to`, and the range at most 2 days (raw), 93 days (15m) or 3660 days (daily): a 400
    names the limit otherwise.
    """
    entry = current_catalog().entry(endpoint_id)
    bucket = query_args.bucket
    end_moment = query_args.end or datetime.now(timezone.utc)
    start_moment = query_args.start or end_moment - timedelta(days=DEFAULT_DAYS[bucket])
    start, end = checked_range(start_moment, end_moment, ("from", "to"), MAX_DAYS[bucket])
    store = current_pulse().store
    body: dict[str, Any] = {
        "endpoint": entry.json, "raw": [], "rollup15m": [], "rollupDaily": [], "outages": [],
    }
    if bucket == "raw":
        body["raw"] = [check_json(check) for check in await store.checks(endpoint_id, start, end)]
    elif bucket == "15m":
        rollups = await store.rollups(
            endpoint_id, Resolution.QUARTER_HOUR, whole_buckets(start, bucket), end
        )
        body["rollup15m"] = [rollup_15m_json(rollup) for rollup in rollups]
    else:
        rollups = await store.rollups(endpoint_id, Resolution.DAILY, whole_buckets(start, bucket), end)
        body["rollupDaily"] = [rollup_daily_json(rollup) for rollup in rollups]
    body["outages"] = [outage_json(outage) for outage in await store.outages(endpoint_id, start, end)]
    return body


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
