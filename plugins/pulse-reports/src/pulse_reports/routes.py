"""``GET /api/reports`` (the configured reports and their recorded runs) and
``GET /api/reports/{name}/render`` (a report made now, as the schedule would make it)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import document_response, tag_blueprint, validate_querystring

from pulse_core.contract import (
    Role,
    also_returns,
    bad_request,
    current_pulse,
    errors,
    not_found,
    requires,
)
from pulse_reports.delivery import Letter
from pulse_reports.period import parse_time_range
from pulse_reports.pulse_access import reports_of
from pulse_reports.report import make_report
from pulse_reports.runs import RunLog, iso
from pulse_reports.schedule import next_due

blueprint = Blueprint("reports", __name__)
tag_blueprint(blueprint, ["Reports"])

#: Runs listed per report by ``GET /api/reports``.
RUNS_LISTED = 20


class RunAnswer(BaseModel):
    name: str
    due: str = Field(description="when the run was due (UTC)")
    trigger: Literal["schedule", "catch-up"]
    periodStart: str
    periodEnd: str
    outcome: str = Field(description="sent, rendered (no recipients) or failed: <reason>")
    format: Literal["pdf", "csv", "html"]
    size: int = Field(description="bytes of the document")
    recipients: list[str]
    finished: str


class ReportAnswer(BaseModel):
    name: str
    schedule: str
    timezone: str
    format: Literal["pdf", "csv", "html"]
    recipients: list[str]
    timeRange: str
    sections: list[str]
    nextDue: str = Field(description="the next time the schedule makes it (UTC)")
    runs: list[RunAnswer] = Field(description="the last recorded runs, newest first")


class ReportList(BaseModel):
    items: list[ReportAnswer]


class RenderQuery(BaseModel):
    format: Literal["pdf", "csv", "html"] | None = Field(None, description="default: the report's")
    time_range: str | None = Field(
        None, alias="timeRange", description="1h .. 90d, yesterday, last_week, last_month"
    )


@blueprint.get("/api/reports")
@requires(Role.EDITOR)
@document_response(ReportList)
async def list_reports() -> dict[str, object]:
    """The configured reports, when each is next due, and its last recorded runs

    Runs are listed newest first (at most 20 per report), each with its due time, period,
    outcome (`sent`, `rendered` or `failed: ...`), size and recipients.
    """
    pulse = current_pulse()
    section = reports_of(pulse.config)
    runs = RunLog(pulse)
    now = time.time()
    listed = []
    for entry in section.root if section is not None else ():
        listed.append({
            "name": entry.name,
            "schedule": entry.schedule,
            "timezone": entry.timezone,
            "format": entry.format,
            "recipients": list(entry.recipients),
            "timeRange": entry.content.time_range,
            "sections": list(entry.content.sections),
            "nextDue": iso(next_due(entry, now)),
            "runs": [record.to_json() for record in await runs.last(entry.name, RUNS_LISTED)],
        })
    return {"items": listed}


@blueprint.get("/api/reports/<name>/render")
@requires(Role.EDITOR)
@also_returns("application/pdf", "the report as a PDF document")
@also_returns("text/csv", "the report's sections as CSV records")
@also_returns("text/html", "the report as one HTML page")
@errors(404)
@validate_querystring(RenderQuery)
async def render_report(name: str, query_args: RenderQuery) -> Response:
    """A report made now, as its schedule would make it

    `format` and `timeRange` replace the configured ones for this answer. The period ends now
    (a calendar range: at the last midnight in the report's timezone).
    """
    pulse = current_pulse()
    config = pulse.config
    section = reports_of(config)
    entry = section.named(name) if section is not None else None
    if entry is None:
        raise not_found(f"report '{name}'")
    if query_args.time_range is not None:
        try:
            parse_time_range(query_args.time_range)
        except ValueError as error:
            raise bad_request(f"timeRange: {error}", field="timeRange") from None
    document = await make_report(
        entry, config, pulse.store, datetime.now(timezone.utc),
        format=query_args.format, time_range=query_args.time_range,
    )
    letter = Letter(entry.name, document.period.end, (), document)
    text = document.media_type.startswith("text/")
    response = Response(
        document.body, content_type=document.media_type + ("; charset=utf-8" if text else "")
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    return response
