"""``GET /api/export/history``: history of many endpoints as CSV or JSON, streamed.

The answer is written while it is read from the store, a page of many endpoints at a time
(:mod:`pulse_core.web.api.history_pages`), so memory stays flat whatever the range and the
number of endpoints; columns are described in :mod:`pulse_core.web.api.export_formats`.
When the store can be read from another process, pages are read and encoded in worker
processes (:mod:`pulse_core.web.api.export_workers`), off the interpreter that probes.
"""

from __future__ import annotations

import time
from typing import Callable, Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core import hookimpl
from pulse_core.contract.openapi import also_returns
from pulse_core.contract.view import current_pulse
from pulse_core.web.api.catalog import current_catalog
from pulse_core.web.api.export_formats import (
    COLUMNS,
    RowEncoder,
    csv_chunks,
    encoded_pages,
    json_chunks,
)
from pulse_core.web.api.export_workers import export_workers
from pulse_core.web.api.history_pages import history_pages, page_source
from pulse_core.web.api.query import Bucket, Instant, checked_range, whole_buckets
from pulse_core.web.api.schemas import ErrorBody, ExportDocument
from pulse_core.web.serialize import iso

blueprint = Blueprint("export", __name__)
tag_blueprint(blueprint, ["Export"])

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class ExportQuery(BaseModel):
    format: Literal["csv", "json"] = "csv"
    bucket: Bucket = Field("daily", description="raw checks, 15-minute or daily rollups")
    start_time: Instant = Field(alias="startTime", description="start of the range (included)")
    end_time: Instant = Field(alias="endTime", description="end of the range (excluded)")
    endpoint_id: str | None = Field(None, alias="endpointId", description="only this endpoint")
    group: str | None = Field(None, description="only this group and its child groups")


def _stored_span(start: float, end: float, bucket: Bucket) -> tuple[float, float]:
    """The part of ``[start, end)`` that can hold data: nothing is stored after now, and raw
    checks older than the retention period (plus a day of pruning lag) are gone."""
    now = time.time()
    oldest = 0.0
    if bucket == "raw":
        oldest = now - (current_pulse().config.storage.retention_days + 1) * 86_400
    return max(start, oldest), min(end, now + 1)


@blueprint.get("/api/export/history")
@document_response(ExportDocument)
@also_returns("text/csv", "one header row, then one row per endpoint and bucket (or check)")
@document_response(ErrorBody, 400)
@validate_querystring(ExportQuery)
async def export_history(query_args: ExportQuery) -> Response:
    """History of many endpoints, as a CSV or JSON file

    Rollup buckets overlapping the range are included whole (the bucket still filling as of the
    last rollup update, at most a minute old). Columns: endpointId, endpointName, groupId,
    groupName, then ts, status, rttMs, error (raw) or bucketTs / bucketDate, upPct, avgRttMs,
    downEvents, checks (15m / daily). A 400 names the problem when `startTime` is not before
    `endTime`, or `group` or `endpointId` is not a configured one.
    """
    start, end = checked_range(query_args.start_time, query_args.end_time, ("startTime", "endTime"))
    bucket = query_args.bucket
    entries = current_catalog().select(
        group_id=query_args.group, endpoint_id=query_args.endpoint_id
    )
    store = current_pulse().store
    first, last = _stored_span(whole_buckets(start, bucket), end, bucket)
    endpoints = {
        entry.endpoint.id: (entry.endpoint.id, entry.endpoint.name, entry.group.id, entry.group.name)
        for entry in entries
    }
    source = page_source(store, list(endpoints), bucket, first, last)
    if source is not None and export_workers.available(type(source).__module__):
        bodies = export_workers.bodies(source, query_args.format, bucket, endpoints)
    else:
        encoder = RowEncoder(query_args.format, bucket, endpoints)
        bodies = encoded_pages(encoder, history_pages(store, list(endpoints), bucket, first, last))
    columns = COLUMNS[bucket]
    if query_args.format == "csv":
        chunks = csv_chunks(columns, bodies)
    else:
        header = {
            "bucket": bucket, "startTime": iso(start), "endTime": iso(end), "columns": columns
        }
        chunks = json_chunks(header, bodies)
    filename = "pulse-history-{}-{:%Y%m%d}-{:%Y%m%d}.{}".format(
        bucket, query_args.start_time, query_args.end_time, query_args.format
    )
    response = Response(chunks, content_type=MEDIA_TYPES[query_args.format])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.timeout = None  # a large export may take longer than Quart's response timeout
    return response


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
