"""The documented shapes of the read API, for the OpenAPI document.

Views build their JSON with :mod:`pulse_core.web.serialize` (fast, no validation on the hot
path); these models only describe it. The OpenAPI fuzz test checks every answer against them,
so a drift between the two fails a test instead of misleading a client.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorBody(Shape):
    """An error: a sentence for people, and details where they help."""

    message: str
    errors: list[dict[str, object]] | None = None


class LiveGroupOut(Shape):
    id: str
    name: str
    parent_id: str | None
    color: str | None


class GroupOut(LiveGroupOut):
    sort_order: int


class LiveEndpointOut(Shape):
    """An endpoint as the live list shows it (docs/api.md): its identity, how it is checked,
    and ``address``; the rest is in the endpoint's own route."""

    id: str
    name: str
    group: LiveGroupOut
    type: str
    host: str
    port: int | None
    address: str
    http_path: str | None
    http_match: str | None
    interval_seconds: float
    timeout_ms: int
    retries: int
    enabled: bool


class EndpointOut(LiveEndpointOut):
    group: GroupOut
    failure_threshold: int
    success_threshold: int
    expected_rtt_ms: float | None
    notes: str | None


class SparkPoint(Shape):
    ts: datetime
    s: Literal["u", "d"] = Field(description="u: the check succeeded, d: it failed")


class LiveItem(Shape):
    endpoint: LiveEndpointOut
    status: Literal["up", "down", "flapping", "unreachable", "unknown"]
    rtt_ms: float | None = Field(description="round-trip time of the latest check")
    last_change_ts: datetime | None = Field(description="when the damped state last changed")
    sparkline: list[SparkPoint] = Field(
        description="the latest 20 checks, oldest first, their times to the second"
    )


class LiveStatus(Shape):
    """Every endpoint the filters select, with its live status (from memory, never the database)."""

    items: list[LiveItem]


class CheckOut(Shape):
    ts: datetime
    status: Literal["up", "down"]
    rtt_ms: float | None
    error: str | None


class OutageOut(Shape):
    started_ts: datetime
    ended_ts: datetime | None
    duration_s: float | None
    last_error: str | None
    gap: bool = Field(description="monitoring stopped during the outage; its end is the last known moment")
    unreachable_behind: str | None = Field(
        description="a period unreachable, not an outage of its own: the id of the parent "
        "whose outage cut it off; null for an outage (offline)"
    )


class TopologyItem(Shape):
    """An endpoint in the dependency tree (``depends_on``, docs/topology.md)."""

    id: str
    name: str
    status: Literal["up", "down", "flapping", "unreachable", "unknown"]
    unreachable_behind: str | None = Field(
        description="while unreachable: the id of the parent whose outage cuts it off"
    )
    depends_on: list[str] = Field(description="ids of the endpoints it depends on")
    depends_on_mode: Literal["all", "any"]
    dependents: list[str] = Field(description="ids of the endpoints that depend on it")


class TopologyList(Shape):
    items: list[TopologyItem]


class EndpointDetail(Shape):
    """One endpoint, its checks and the outages of the last ``windowMinutes``."""

    endpoint: EndpointOut
    recent: list[CheckOut]
    outages: list[OutageOut]
    details: dict[str, Any] = Field(
        description="what the probe told about the latest check, keys as the probe gave them"
    )
    topology: TopologyItem | None = Field(
        description="what it depends on and what depends on it; null when neither"
    )


class Rollup15mOut(Shape):
    bucket_ts: datetime
    up_pct: float
    avg_rtt_ms: float | None
    down_events: int


class RollupDailyOut(Shape):
    bucket_date: date
    up_pct: float
    avg_rtt_ms: float | None
    down_events: int


class EndpointHistory(Shape):
    """One endpoint's history over a range; only the list of the requested bucket is filled."""

    endpoint: EndpointOut
    raw: list[CheckOut]
    rollup15m: list[Rollup15mOut] = Field(alias="rollup15m")
    rollup_daily: list[RollupDailyOut]
    outages: list[OutageOut]


class StatusCounts(Shape):
    up: int
    down: int
    flapping: int
    unreachable: int
    unknown: int = Field(description="endpoints nobody checks: their cluster site has no live node")


class GroupSummary(GroupOut):
    endpoint_count: int = Field(description="endpoints in this group and its child groups")
    status_counts: StatusCounts = Field(description="their live statuses")


class GroupList(Shape):
    """Every group, in display order (sort order, then name)."""

    items: list[GroupSummary]


class GroupDetail(GroupSummary):
    """One group, with its direct child groups."""

    children: list[GroupSummary]


class ExportDocument(Shape):
    """The JSON form of an export: the request, then one item per row, keyed by the CSV's columns."""

    bucket: Literal["raw", "15m", "daily"]
    start_time: datetime
    end_time: datetime
    columns: list[str]
    items: list[dict[str, str | float | int | None]]


class ClusterNodeOut(Shape):
    name: str
    site: str
    alive: bool = Field(description="its lease holds and no node declared it dead")
    epoch: int | None = Field(
        description="the count of its memberships, one more each time it joins; null on a "
        "single node"
    )
    joined_at: datetime = Field(description="when it joined (a single node: when it started)")
    heartbeat_at: datetime | None = Field(description="its latest heartbeat; null on a single node")
    lease_age_seconds: float | None = Field(
        description="seconds since its latest heartbeat, by the database's clock; null on a "
        "single node"
    )
    endpoints_owned: int = Field(description="endpoints it probes")
    checks_per_second: float = Field(
        description="checks it stored per second between its latest two heartbeats (a single "
        "node: checks started per second since start-up)"
    )
    version: str = Field(description="the Pulse version it runs")
    address: str | None = Field(description="where its web API listens, as host:port")


class ClusterSiteOut(Shape):
    site: str
    live_nodes: int
    endpoints: int = Field(description="endpoints of this site")
    reachable: bool = Field(
        description="a live node probes its endpoints; false: they show as unknown"
    )


class ClusterOut(Shape):
    """The cluster as the answering node saw it at its latest heartbeat."""

    clustered: bool = Field(
        description="the store coordinates several nodes (PostgreSQL); false: this node alone"
    )
    node: str = Field(description="the answering node's name")
    site: str = Field(description="the answering node's site")
    default_site: str = Field(description="the site of endpoints whose configuration names none")
    nodes: list[ClusterNodeOut] = Field(description="every member by name, dead ones included")
    sites: list[ClusterSiteOut] = Field(description="every site of an endpoint or a member, by name")
