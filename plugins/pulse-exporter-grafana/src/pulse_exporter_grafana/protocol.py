"""What Grafana's JSON data source sends, read leniently: fields we do not use are ignored,
and a target's parameters may sit in its ``payload`` (the query editor) or at the top level
of the target (as docs/integrations.md writes them); ``payload`` wins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from pulse_core.contract import STATUS_WORDS, LiveStatus, bad_request

DEFAULT_RANGE = timedelta(hours=6)
DEFAULT_MAX_DATA_POINTS = 1000
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

M = TypeVar("M", bound=BaseModel)

Aggregation = Literal["avg", "min", "max", "p50", "p95", "p99"]
#: the live statuses a ``status_count`` target may ask for, in the words of ``STATUS_WORDS``
LIVE_WORDS = tuple(STATUS_WORDS[status] for status in LiveStatus)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def parse_duration(text: str) -> float:
    """``30s``, ``5m``, ``1h``, ``1d`` as seconds."""
    match = _DURATION.match(text.strip())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"interval {text!r} is not a duration like 30s, 5m, 1h or 1d")
    return int(match[1]) * _SECONDS[match[2]]


#: Grafana sends ISO-8601 times; a number (POSIX seconds, or milliseconds) is read too, and
#: the OpenAPI document says so
Moment = Annotated[
    datetime,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]}),
]


class TimeRange(_Lenient):
    start: Moment = Field(alias="from")
    end: Moment = Field(alias="to")


class TargetParams(_Lenient):
    """A target's parameters, merged from its top level and its ``payload``."""

    target: str
    endpoint_id: str | None = Field(None, alias="endpointId")
    group: str | None = None
    aggregation: Aggregation = "avg"
    interval: str | None = None
    status: str = "online"
    format: Literal["table", "annotations"] = "table"

    @field_validator("endpoint_id", "group", "interval", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("interval")
    @classmethod
    def _a_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("status")
    @classmethod
    def _a_status(cls, value: str) -> str:
        word = {"up": "online", "down": "offline"}.get(value, value)
        if word not in LIVE_WORDS:
            raise ValueError(f"status {value!r} is not one of: {', '.join(LIVE_WORDS)}")
        return word

    @property
    def interval_s(self) -> float | None:
        return None if self.interval is None else parse_duration(self.interval)


class AdhocFilter(_Lenient):
    key: str
    operator: str = "="
    value: str


class QueryRequest(_Lenient):
    range: TimeRange | None = None
    interval_ms: float | None = Field(None, alias="intervalMs", gt=0)
    max_data_points: int = Field(DEFAULT_MAX_DATA_POINTS, alias="maxDataPoints", ge=1)
    targets: list[dict[str, Any]] = []
    adhoc_filters: list[AdhocFilter] = Field([], alias="adhocFilters")

    def span(self, now: float) -> tuple[float, float]:
        if self.range is None:
            return now - DEFAULT_RANGE.total_seconds(), now
        start, end = (_utc(moment).timestamp() for moment in (self.range.start, self.range.end))
        if start >= end:
            raise bad_request("range.from must be before range.to")
        return start, end

    def target_params(self) -> list[TargetParams]:
        """The targets to answer: hidden ones and placeholders without ``target`` left out."""
        found = []
        for index, raw in enumerate(self.targets):
            if raw.get("hide") or not raw.get("target"):
                continue
            payload = raw.get("payload")
            merged = {**raw, **(payload if isinstance(payload, dict) else {})}
            found.append(parse(TargetParams, merged, f"targets[{index}]"))
        return found


class PayloadOptionsRequest(_Lenient):
    metric: str | None = None
    payload: dict[str, Any] = {}
    name: str


class VariableRequest(_Lenient):
    payload: dict[str, Any] | str = {}


class TagValuesRequest(_Lenient):
    key: str


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse(model: type[M], body: Any, where: str = "the request body") -> M:
    """``model`` from ``body``, or a 400 naming the first problem and where it is."""
    try:
        return model.model_validate(body if body is not None else {})
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise bad_request(f"{where}{'.' + place if place else ''}: {message}") from None
