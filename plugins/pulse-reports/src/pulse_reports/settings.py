"""The ``reports:`` section of the YAML: one entry per scheduled report.

Each value is checked where it is written, so a mistake is reported with its YAML line like
the rest of the configuration. What needs other sections (a group or endpoint that exists,
an email notifier to send through) is checked in :mod:`pulse_reports.checks`.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel
from pydantic_core import PydanticCustomError

from pulse_reports.period import parse_time_range

SECTION_NAME = "reports"
FORMATS = ("pdf", "csv", "html")

#: An address as mail servers take it in RCPT TO: something, one @, a dotted domain.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _invalid(message: str) -> PydanticCustomError:
    """An error worded as the rest of the configuration's (no "value error," before it)."""
    return PydanticCustomError("report", "{message}", {"message": message})


def _cron(text: str) -> str:
    fields = text.split()
    if len(fields) != 5:
        raise _invalid(
            f"a schedule is five cron fields (minute hour day-of-month month day-of-week), "
            f"found {len(fields)}: write e.g. \"0 8 * * *\" for 08:00 every day"
        )
    if not croniter.is_valid(text):
        raise _invalid(f"'{text}' is not a valid cron expression: write e.g. \"0 8 * * 1\"")
    return " ".join(fields)


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, available_timezones(), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else " (an IANA name like Europe/Paris)"
        raise _invalid(f"unknown time zone '{name}'{hint}") from None
    return name


def _address(text: str) -> str:
    if not _ADDRESS.match(text):
        raise _invalid(f"'{text}' is not an email address (name@example.com)")
    return text


def _time_range(text: str) -> str:
    try:
        parse_time_range(text)
    except ValueError as error:
        raise _invalid(str(error)) from None
    return text


Cron = Annotated[str, AfterValidator(_cron)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Address = Annotated[str, AfterValidator(_address)]
TimeRange = Annotated[str, AfterValidator(_time_range)]
SectionName = Literal["summary", "availability", "performance", "outages", "endpoints"]


class ReportContent(_Entry):
    time_range: TimeRange = Field(
        "24h", alias="timeRange",
        description="1h .. 90d, or yesterday, last_week, last_month (in the report's timezone)",
    )
    sections: list[SectionName] = Field(
        default_factory=lambda: ["summary", "availability", "performance"], min_length=1,
        description="in the order they appear",
    )
    endpoints: Literal["all"] | list[Annotated[str, Field(min_length=1)]] = Field(
        "all", description="all, or a list of group ids and endpoint names"
    )


class ReportEntry(_Entry):
    name: str = Field(min_length=1, max_length=120, description="unique; used in the API path")
    site: str | None = Field(
        None, max_length=120, description="shown in the title line; default: the host's name"
    )
    schedule: Cron
    timezone: TimeZoneName = "UTC"
    format: Literal["pdf", "csv", "html"] = "pdf"
    recipients: list[Address] = Field(default_factory=list)
    via: str | None = Field(
        None, description="the email notifier whose SMTP settings send it; needed with several"
    )
    content: ReportContent = Field(default_factory=ReportContent)


class ReportsSection(RootModel[list[ReportEntry]]):
    """``reports``: scheduled availability reports."""

    def named(self, name: str) -> ReportEntry | None:
        return next((entry for entry in self.root if entry.name == name), None)
