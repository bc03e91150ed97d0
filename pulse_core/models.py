"""The values that flow between the core and its plugins.

They are plain frozen dataclasses so that a probe, a store or a notifier written by a third
party depends on nothing but this module. Timestamps are POSIX seconds (``float``, UTC):
cheap to compare and to store on the hot path; the web layer turns them into ISO-8601.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping


def _is_ipv6(host: str) -> bool:
    # Every IPv6 literal has a colon; a name or an IPv4 address is answered without parsing
    # it (about 4 µs each, read for every unnamed endpoint's name and address).
    if ":" not in host:
        return False
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False


class CheckStatus(enum.StrEnum):
    """The outcome of one check."""

    UP = "up"
    DOWN = "down"


class State(enum.StrEnum):
    """An endpoint's damped state: it changes only after a run of equal check outcomes.

    ``UNREACHABLE`` is failing behind a parent that is offline (``depends_on``,
    docs/topology.md): the parent's outage, not one of its own."""

    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"
    UNREACHABLE = "unreachable"


class LiveStatus(enum.StrEnum):
    """What the API shows for an endpoint right now (docs/api.md, ``/api/status/live``)."""

    UP = "up"
    DOWN = "down"
    FLAPPING = "flapping"
    UNREACHABLE = "unreachable"
    #: nobody can check it: its cluster site has no live node (docs/cluster.md)
    UNKNOWN = "unknown"


#: The one place a status becomes the word outside systems read: live push, alert
#: templates, Splunk events and Prometheus labels all say ``online``/``offline`` (see
#: docs/integrations.md), and ``unreachable`` behind an offline parent (docs/topology.md).
#: Keyed by value, so a :class:`State`, :class:`LiveStatus` or :class:`CheckStatus` finds
#: its word alike.
STATUS_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "up": "online", "down": "offline", "unknown": "unknown", "flapping": "flapping",
        "unreachable": "unreachable",
    }
)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    parent_id: str | None = None
    color: str | None = None
    sort_order: int = 0
    #: the site whose cluster nodes probe this group's endpoints (inherited by child
    #: groups); ``None`` inherits from the parent, or is the cluster's default site
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One thing that is checked: a target of the YAML after ``cidr``/``wildcard`` expansion.

    ``id`` is derived from what is checked (type, host, port and the probe's identity keys), not
    from the name, so renaming an endpoint keeps its history. ``options`` holds the validated
    keys owned by the probe plugin of ``type`` (for example ``http_path`` for ``http``).

    An endpoint created with ``name=""`` is unnamed: its ``name`` reads ``ICMP 10.0.0.5``
    (type and address, docs/configuration.md), built when asked rather than kept, since a site's
    thousands of unnamed endpoints would each keep a string of about 70 bytes for it.
    """

    id: str
    name: str
    group_id: str
    type: str
    host: str
    port: int | None = None
    interval_s: float = 10.0
    timeout_ms: int = 1500
    retries: int = 1
    failure_threshold: int = 2
    success_threshold: int = 2
    expected_rtt_ms: float | None = None
    enabled: bool = True
    notes: str | None = None
    options: Any = None
    #: the site whose cluster nodes probe it (its target's or group's ``site:``); ``None``
    #: for the cluster's default site
    site: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__delattr__(self, "name")  # an empty slot: reading it asks __getattr__

    if not TYPE_CHECKING:  # type checkers see ``name: str`` and no other attribute

        def __getattr__(self, attribute: str) -> str:
            """Only called for what is not set: the name of an unnamed endpoint."""
            if attribute == "name":
                return f"{self.type.upper()} {self.address}"
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")

    @property
    def address(self) -> str:
        """``host`` or ``host:port``: how people write the address of what is checked."""
        if self.port is None:
            return self.host
        return f"[{self.host}]:{self.port}" if _is_ipv6(self.host) else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a probe reports for one attempt. ``error`` is a short sentence for people."""

    ok: bool
    rtt_ms: float | None = None
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def success(cls, rtt_ms: float | None, **details: Any) -> ProbeResult:
        return cls(True, rtt_ms, None, details)

    @classmethod
    def failure(cls, error: str, rtt_ms: float | None = None, **details: Any) -> ProbeResult:
        return cls(False, rtt_ms, error, details)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One stored check: a probe's result stamped by the engine (``ts`` is when it started)."""

    endpoint_id: str
    ts: float
    status: CheckStatus
    rtt_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outage:
    """A period in DOWN state, or in UNREACHABLE state behind a parent. Its identity is
    ``(endpoint_id, started_ts)``.

    ``gap`` is set when monitoring stopped while the outage was open, so its end is the last
    moment Pulse knew about, not an observed recovery. ``cause`` is set for a period spent
    unreachable: the id of the parent whose outage cut the endpoint off (docs/topology.md).
    Such a period is no outage of the endpoint's own: it is never alerted on, and reports
    count it apart from offline time (docs/reports.md).
    """

    endpoint_id: str
    started_ts: float
    ended_ts: float | None = None
    last_error: str | None = None
    gap: bool = False
    cause: str | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_ts is None else self.ended_ts - self.started_ts

    @property
    def offline(self) -> bool:
        """Whether this is an outage of the endpoint's own (not a period unreachable)."""
        return self.cause is None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An endpoint's damped state changed.

    ``previous`` is ``State.UNKNOWN`` for the first state reached after start-up. ``outage``
    is the outage this change opened (DOWN) or closed (UP), if any; ``cause`` is the parent
    whose outage made the endpoint UNREACHABLE (which opens none of its own).
    ``unreachable`` is the period unreachable (an :class:`Outage` with a ``cause``) this
    change opened (UNREACHABLE) or closed (leaving it): kept in the store for history and
    reports, never news to alerting.
    """

    endpoint_id: str
    ts: float
    state: State
    previous: State
    rtt_ms: float | None = None
    error: str | None = None
    outage: Outage | None = None
    cause: str | None = None
    unreachable: Outage | None = None


@dataclass(frozen=True, slots=True)
class EndpointSnapshot:
    """What the store remembers of an endpoint's state, so a restart resumes where it left off.

    ``open_outage`` is its open outage while DOWN, its open period unreachable while
    UNREACHABLE (one with a ``cause``)."""

    endpoint_id: str
    state: State
    state_since: float | None
    last_check_ts: float | None
    open_outage: Outage | None = None


class Resolution(enum.StrEnum):
    QUARTER_HOUR = "15m"
    DAILY = "daily"


@dataclass(frozen=True, slots=True)
class Rollup:
    """Aggregated checks of one endpoint in one UTC bucket (15 minutes or one day).

    Counts are kept, not only ratios, so coarser buckets are exact sums of finer ones.
    ``down_events`` counts up→down transitions whose down check falls in the bucket.
    """

    endpoint_id: str
    bucket_ts: float
    resolution: Resolution
    total: int
    up: int
    rtt_sum_ms: float
    rtt_count: int
    down_events: int

    @property
    def up_pct(self) -> float:
        return round(self.up * 100.0 / self.total, 2) if self.total else 0.0

    @property
    def avg_rtt_ms(self) -> float | None:
        return round(self.rtt_sum_ms / self.rtt_count, 2) if self.rtt_count else None


@dataclass(frozen=True, slots=True)
class ConfigVersionInfo:
    """One applied configuration file without its text: what a list of versions shows (a
    site's file can be megabytes, and every applied change keeps one)."""

    id: int
    applied_ts: float
    sha256: str
    actor: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """One applied configuration file, kept verbatim."""

    id: int
    applied_ts: float
    sha256: str
    yaml_text: str
    actor: str | None = None
    note: str | None = None

    @property
    def info(self) -> ConfigVersionInfo:
        return ConfigVersionInfo(self.id, self.applied_ts, self.sha256, self.actor, self.note)
