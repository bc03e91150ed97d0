"""What a plugin sees of the running Pulse: :class:`PulseView`.

Event hooks get it as their ``app`` argument and routes through :func:`current_pulse`. It
hands out values, never the engine's own objects: a status read now stays what it was when
read (the engine keeps changing on the event loop), and the engine can change its insides
without breaking a plugin. Read it on the event loop; copy what a worker thread needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from quart import current_app

from pulse_core.config.model import PulseConfig
from pulse_core.contract.cluster import ClusterStatus
from pulse_core.contract.reports import ReportMessage
from pulse_core.events import Subscription
from pulse_core.models import Endpoint, LiveStatus, State, StatusChange
from pulse_core.notifier import Notifier
from pulse_core.store import History

#: the key of the web application's ``config`` under which the running Pulse is kept
VIEW_KEY = "PULSE"


@dataclass(frozen=True, slots=True)
class EndpointStatus:
    """One endpoint's live state at the moment it was read."""

    endpoint: Endpoint
    #: what the API and exporters show: ``up``, ``down`` (also without a recent check),
    #: ``flapping`` or ``unreachable``, at the time given to the read
    live_status: LiveStatus
    #: the damped state the thresholds reached (``unknown`` before the first)
    state: State
    state_since: float | None
    last_check_ts: float | None
    #: the latest check's round trip, if it had one
    last_rtt_ms: float | None
    #: the latest error seen, kept after recovery: it describes the outage just closed
    last_error: str | None
    #: checks since start-up that succeeded and failed
    checks_up: int
    checks_down: int
    #: while ``unreachable``: the id of the parent whose outage cuts it off (docs/topology.md)
    cause: str | None = None
    #: while ``unknown``: why nobody checks it (its cluster site has no live node)
    unknown_because: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulerStats:
    """How punctually checks start."""

    #: checks started since start-up
    started: int
    #: scheduled checks skipped because the previous check of the endpoint outlasted its interval
    missed: int
    #: how late the most recently started check began, against its schedule
    last_lag_s: float
    max_lag_s: float


@dataclass(frozen=True, slots=True)
class StoreStats:
    """How writing to the store goes."""

    #: checks waiting in memory to be written
    pending: int
    #: checks dropped because the queue was full
    dropped: int
    #: failed writes since start-up (each is retried)
    write_failures: int
    #: the latest failed write's error, its first line
    last_error: str | None
    last_failure_ts: float | None
    last_success_ts: float | None
    #: when the current run of failed writes began; ``None`` while writes succeed
    failing_since_ts: float | None
    #: the oldest check waiting to be written, if any
    oldest_pending_ts: float | None

    @property
    def failing(self) -> bool:
        """Whether the latest write failed."""
        return self.failing_since_ts is not None


@dataclass(frozen=True, slots=True)
class DurationHistogram:
    """How long checks of one probe type took, retries included, as bucket counts."""

    #: upper bounds of the buckets in seconds; ``counts`` has one more, the unbounded last
    bounds_s: tuple[float, ...]
    counts: tuple[int, ...]
    sum_s: float


@dataclass(frozen=True, slots=True)
class NotifierHealth:
    """Deliveries of one configured notifier since start-up."""

    delivered: int
    #: failed attempts, retried unless the failure was permanent
    failed_attempts: int
    #: given up: in the dead-letter list
    dead: int
    #: waiting in the outbox
    pending: int


class PulseView(Protocol):
    """The running Pulse, as plugins see it."""

    @property
    def config(self) -> PulseConfig:
        """The configuration in effect (replaced when a new one is applied: read it again
        rather than keeping it)."""

    @property
    def store(self) -> History:
        """The store, for reads; the core's writer does every write."""

    @property
    def started_ts(self) -> float:
        """When this Pulse started (Unix time)."""

    def endpoints(self) -> Sequence[Endpoint]:
        """Every endpoint of the configuration in effect, disabled ones included."""

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        """The endpoint with this id in the configuration in effect."""

    def status(self, endpoint_id: str, now: float) -> EndpointStatus | None:
        """The live state of one endpoint, read at ``now``."""

    def statuses(self, now: float) -> list[EndpointStatus]:
        """The live state of every endpoint, read at ``now`` in one pass that never yields
        (a consistent picture, cheap enough for every scrape of 10,000 endpoints)."""

    def scheduler_stats(self) -> SchedulerStats: ...

    def store_stats(self) -> StoreStats: ...

    def plugin_errors(self) -> Mapping[str, str]:
        """Plugins that failed to load or register, by name, with what went wrong."""

    def probe_durations(self) -> Mapping[str, DurationHistogram]:
        """Check durations by probe type."""

    def notifier_health(self) -> Mapping[str, NotifierHealth]:
        """Deliveries by configured notifier name."""

    def notifiers(self) -> Mapping[str, Notifier]:
        """The configured notifiers by name, as built from the configuration in effect: a
        notifier plugin finds its own instances here (to feed them more than notifications)."""

    async def queue_report(self, notifier: str, report: ReportMessage, cause: str) -> str:
        """Queue ``report`` for the configured notifier ``notifier`` in the durable outbox,
        where it is delivered, retried, dead-lettered and sent to the fallback as every
        notification is; returns the message's id. ``cause`` names what the report is for (a
        report and its due time): queuing the same cause twice keeps one message. Raises
        ``LookupError`` when no notifier has that name."""

    async def setting(self, name: str) -> str | None:
        """The value kept in the store under ``name`` (across restarts), or ``None``. The core
        keeps its own settings there too: start each name with the plugin's own."""

    async def add_setting_if_absent(self, name: str, value: str) -> str:
        """Keep ``value`` under ``name`` unless a value is kept there already; return the kept
        one. A setting is written once: of two processes racing to set it, both read one value."""

    async def holds_job(self, job: str) -> bool:
        """Whether this node runs the cluster-wide job ``job`` now (scheduled reports, for
        one): in a cluster one node at a time holds each job, from when it first asks until
        it stops or dies (then the next node to ask takes it); a single Pulse always does.
        Ask before each run: a node can lose a job while its database connection is down."""

    def cluster_status(self) -> ClusterStatus:
        """The cluster this Pulse is a node of (a cluster of one on a single-node store):
        its members, this node's share, the sites left without a live node."""

    def status_changes(self, queue_size: int) -> Subscription[StatusChange]:
        """A subscription to every later stored status change. Use it as a context manager
        and read it with ``await subscription.next()``; a subscriber that falls
        ``queue_size`` changes behind is dropped (``next`` raises ``SubscriberDropped``)."""


def current_pulse() -> PulseView:
    """The running Pulse, inside a request or a WebSocket of a plugin's blueprint."""
    view: PulseView = current_app.config[VIEW_KEY]
    return view
