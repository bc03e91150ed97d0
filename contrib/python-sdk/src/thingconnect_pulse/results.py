"""The shapes of Pulse's answers, for type checkers and editors.

Answers stay the API's JSON dictionaries (camelCase keys, as docs/api.md shows each route), so
a script reads ``item["endpoint"]["name"]`` exactly as the documentation writes it; these
``TypedDict``s name the keys a route always sends. Keys Pulse adds later are still there at
run time, unnamed here.
"""

from __future__ import annotations

from typing import Literal, TypedDict

#: a status word of ``/api/status/live`` and of history checks
LiveStatus = Literal["up", "down", "flapping"]
#: a status word of the push stream
PushStatus = Literal["online", "offline", "unknown"]
Bucket = Literal["raw", "15m", "daily"]


class Group(TypedDict):
    id: str
    name: str
    parentId: str | None
    color: str | None


class Endpoint(TypedDict):
    id: str
    name: str
    group: Group
    type: str
    host: str
    port: int | None
    address: str
    intervalSeconds: float
    timeoutMs: int
    retries: int
    enabled: bool


class SparkPoint(TypedDict):
    ts: str
    s: Literal["u", "d"]


class LiveStatusItem(TypedDict):
    endpoint: Endpoint
    status: LiveStatus
    rttMs: float | None
    lastChangeTs: str | None
    sparkline: list[SparkPoint]


class Check(TypedDict):
    ts: str
    status: Literal["up", "down"]
    rttMs: float | None
    error: str | None


class Outage(TypedDict):
    startedTs: str
    endedTs: str | None
    durationS: float | None
    lastError: str | None
    gap: bool


class EndpointDetail(TypedDict):
    endpoint: Endpoint
    recent: list[Check]
    outages: list[Outage]


class Rollup15m(TypedDict):
    bucketTs: str
    upPct: float
    avgRttMs: float | None
    downEvents: int


class RollupDaily(TypedDict):
    bucketDate: str
    upPct: float
    avgRttMs: float | None
    downEvents: int


class History(TypedDict):
    endpoint: Endpoint
    raw: list[Check]
    rollup15m: list[Rollup15m]
    rollupDaily: list[RollupDaily]
    outages: list[Outage]


class WrittenEndpoint(Endpoint):
    configVersionId: int | None
    warnings: list[str]


class ChangedEndpoint(TypedDict):
    id: str
    name: str
    type: str
    address: str


class ApplyResult(TypedDict):
    configVersionId: int | None
    changed: bool
    dryRun: bool
    added: list[ChangedEndpoint]
    updated: list[ChangedEndpoint]
    removed: list[ChangedEndpoint]
    warnings: list[str]
