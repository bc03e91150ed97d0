"""What a store plugin implements: where checks, outages, rollups and configuration live.

The core owns *when* things are written (a single writer task hands over checks in batches)
and *which* rules apply (thresholds, outages, retention age); a store owns *how* they are
kept. Every method is a coroutine: a store backed by a blocking driver runs it in a thread of
its own so the event loop that probes never waits on a disk.

A store is chosen by the scheme of ``storage.url`` in the YAML (``sqlite:///pulse.db``); the
store class registered for that scheme is built with the URL. ``pulse_core.testing`` ships
``StoreConformance``, the behaviour every store must pass.

A store plays five roles, each an interface of its own with a conformance suite of its own
(``pulse_core.testing.store_conformance``): :class:`HistoryStore` (the catalogue and the
history of checks, outages and states), :class:`Upkeep` (rollups and retention),
:class:`ConfigVersions`, :class:`Accounts` (users, sessions, API keys, settings) and
:class:`Outbox`. :class:`Store` is their union, with a life cycle. A store may implement one
role its own way and inherit the others from another store: the history in a time-series
database, say, and the rest in SQL (``tests/test_store_roles.py`` shows one).
"""

from __future__ import annotations

import abc
from typing import Any, AsyncIterator, Callable, ClassVar, Mapping, Protocol, Sequence

from pulse_core.accounts import ApiKey, User, UserSession
from pulse_core.models import (
    CheckResult,
    ConfigVersion,
    ConfigVersionInfo,
    Endpoint,
    EndpointSnapshot,
    Group,
    Outage,
    Resolution,
    Rollup,
)
from pulse_core.outbox import OutboxHealth, OutboxMessage

#: Records per page of the bulk reads: a few megabytes of objects, a query of a few ms.
PAGE_ROWS = 10_000

#: A check as :meth:`History.check_rows_many` hands it: ``(ts_ms, up, rtt_ms, error)``.
CheckRow = tuple[int, bool, float | None, str | None]
#: A bucket as :meth:`History.rollup_rows_many` hands it:
#: ``(bucket_ms, total, up, rtt_sum_ms, rtt_count, down_events)``.
RollupRow = tuple[int, int, int, float, int, int]
#: Consecutive records of one endpoint, oldest first: ``(endpoint_id, rows)``.
CheckRun = tuple[str, Sequence[CheckRow]]
RollupRun = tuple[str, Sequence[RollupRow]]


class PageSource(Protocol):
    """The pages a bulk read of the history would hand over, for another process to read
    (an export's worker processes): pickled there, it plans the pages once (:meth:`plan`),
    then is read page by page (:meth:`read`), by several processes after a ``fork``, each on
    a connection of its own (:meth:`close` lets go of the planner's)."""

    def plan(self) -> Sequence[Any]: ...

    def read(self, page: Any) -> list[CheckRun] | list[RollupRun]: ...

    def close(self) -> None: ...


class StoreUnavailable(ConnectionError):
    """A store method could not reach its database (refused, lost, or not accepting
    connections). The web API answers 503 to it; any other error stays a fault of Pulse."""


class History(abc.ABC):
    """What plugins read of a store (``PulseView.store``): checks, outages and rollups.

    The read side of :class:`HistoryStore`; the rest of a store (writes, upkeep,
    configuration versions, accounts, the outbox) is for the core alone."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Whether the store answers right now (for health checks); never raises."""

    # -- reads --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def checks(
        self, endpoint_id: str, start: float, end: float, limit: int | None = None
    ) -> list[CheckResult]:
        """Checks of one endpoint with ``start <= ts < end``, oldest first; with ``limit``,
        the newest ``limit`` of them (still oldest first)."""

    @abc.abstractmethod
    async def outages(
        self, endpoint_id: str | None, start: float, end: float
    ) -> list[Outage]:
        """Outages (of one endpoint, or all with ``None``) that overlap ``[start, end)``,
        oldest first; an open outage overlaps every range after its start."""

    @abc.abstractmethod
    async def rollups(
        self, endpoint_id: str, resolution: Resolution, start: float, end: float
    ) -> list[Rollup]:
        """Buckets of one endpoint whose start lies in ``[start, end)``, oldest first."""

    # -- bulk reads (exports and dashboards over many endpoints) -------------------------------
    @abc.abstractmethod
    def checks_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = PAGE_ROWS
    ) -> AsyncIterator[list[CheckResult]]:
        """Checks of many endpoints with ``start <= ts < end``, in pages of about
        ``page_rows``: endpoint after endpoint in the order of ``endpoint_ids``, each oldest
        first. An endpoint's checks may go on over the next page (one with more than
        ``page_rows`` in the range is read in slices of time); an endpoint without any, or
        unknown to the store, is simply absent.

        Why not :meth:`checks` per endpoint: an export of 10,000 endpoints would cost 10,000
        round trips to the database. A store reads a page with a few queries whatever the
        number of endpoints on it, and holds no more than a page (or a few) in memory."""

    @abc.abstractmethod
    def rollups_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> AsyncIterator[list[Rollup]]:
        """Buckets of many endpoints whose start lies in ``[start, end)``, in pages of at most
        ``page_rows``, ordered as :meth:`checks_many` orders checks."""

    async def check_rows_many(
        self, endpoint_ids: Sequence[str], start: float, end: float, page_rows: int = PAGE_ROWS
    ) -> AsyncIterator[list[CheckRun]]:
        """:meth:`checks_many` as plain tuples, times in whole milliseconds: each page a
        list of runs, one per endpoint met on it, in the same order.

        Why: an export of hundreds of thousands of checks spent half its time building and
        reading a :class:`CheckResult` per check. This default converts what
        :meth:`checks_many` returns; a store that can hand its rows over as they are read
        overrides it."""
        async for page in self.checks_many(endpoint_ids, start, end, page_rows):
            yield _runs(page, _check_row)

    async def rollup_rows_many(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> AsyncIterator[list[RollupRun]]:
        """:meth:`rollups_many` as plain tuples, as :meth:`check_rows_many` hands checks."""
        async for page in self.rollups_many(endpoint_ids, resolution, start, end, page_rows):
            yield _runs(page, _rollup_row)

    def bulk_read_source(
        self,
        endpoint_ids: Sequence[str],
        resolution: Resolution | None,
        start: float,
        end: float,
        page_rows: int = PAGE_ROWS,
    ) -> PageSource | None:
        """What :meth:`check_rows_many` (``resolution`` None) or :meth:`rollup_rows_many`
        would hand over, as a :class:`PageSource` another process reads on a connection of
        its own, or None: this default, for a store read in this process only.

        Why: an export of a day of raw checks holds an interpreter for seconds; read and
        encoded by worker processes, it neither holds up the checks of this process nor
        waits for them, and uses every core. The pages must be those of this store's own
        bulk reads, byte for byte."""
        return None


class HistoryStore(History):
    """The history role: the catalogue of groups and endpoints, and the checks, outages and
    damped states of the endpoints, written by the core's single writer and read back.
    Buckets (:meth:`History.rollups`) are kept up to date by :class:`Upkeep`; a store that
    computes them as it reads needs no upkeep of its own."""

    # -- catalogue ----------------------------------------------------------------------------
    @abc.abstractmethod
    async def sync_catalog(self, groups: Sequence[Group], endpoints: Sequence[Endpoint]) -> None:
        """Make the stored groups and endpoints those of the running configuration.

        Endpoints that left the configuration are marked removed, never deleted with their
        history; an endpoint that comes back under the same id finds its history again.
        """

    async def update_catalog(
        self,
        groups: Sequence[Group],
        endpoints: Sequence[Endpoint],
        changed: Sequence[Endpoint],
        removed: Sequence[Endpoint],
    ) -> None:
        """:meth:`sync_catalog` to a configuration that differs from the one synced last
        only in its groups and in ``changed`` (added or updated) and ``removed`` endpoints.

        A write of one target to a site of 10,000 need not compare 10,000 stored rows; a
        store that can write just those overrides this, which syncs everything."""
        await self.sync_catalog(groups, endpoints)

    # -- writes (called by the core's single writer) ------------------------------------------
    @abc.abstractmethod
    async def write_checks(self, checks: Sequence[CheckResult]) -> None:
        """Append a batch of checks, in one transaction."""

    @abc.abstractmethod
    async def write_outages(self, outages: Sequence[Outage]) -> None:
        """Insert or update outages, identified by ``(endpoint_id, started_ts)``."""

    @abc.abstractmethod
    async def write_snapshots(self, snapshots: Sequence[EndpointSnapshot]) -> None:
        """Remember endpoints' damped states (replacing what was kept for each endpoint)."""

    # -- restart ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def load_snapshots(self) -> dict[str, EndpointSnapshot]:
        """The remembered state of every endpoint, with its open outage and the time of its
        last stored check, keyed by endpoint id."""


class Upkeep(abc.ABC):
    """The rollups and maintenance role, called by the core's maintenance task."""

    @abc.abstractmethod
    async def update_rollups(self) -> int:
        """Recompute, whole, every 15-minute and daily bucket that received checks since the
        last call; return how many buckets were written."""

    @abc.abstractmethod
    async def prune_checks(self, before: float, batch_size: int) -> int:
        """Delete at most ``batch_size`` checks older than ``before``; return how many.

        The core calls it repeatedly, pausing in between, until it returns less than
        ``batch_size``, so a large backlog never holds the database for long. Rollups and
        outages are kept."""


class ConfigVersions(abc.ABC):
    """The configuration versions role: every configuration applied, kept verbatim."""

    @abc.abstractmethod
    async def add_config_version(
        self, yaml_text: str, sha256: str, applied_ts: float, actor: str | None, note: str | None
    ) -> ConfigVersion:
        """Keep an applied configuration file; ids increase with every call."""

    @abc.abstractmethod
    async def config_versions(self, limit: int | None = None) -> list[ConfigVersionInfo]:
        """The kept versions, newest first, without their text (at most ``limit`` of them);
        :meth:`config_version` gives one with its text."""

    @abc.abstractmethod
    async def config_version(self, version_id: int) -> ConfigVersion | None:
        """One kept version, or ``None``."""


class Accounts(abc.ABC):
    """The accounts and keys role: users, sessions, API keys and settings of the web API."""

    @abc.abstractmethod
    async def add_user(
        self, username: str, email: str | None, role: str, password_hash: str, created_ts: float
    ) -> User:
        """Create an active user; ids increase with every call.
        Raises :class:`~pulse_core.accounts.UsernameTaken` if the username exists."""

    @abc.abstractmethod
    async def users(self) -> list[User]:
        """Every user, active or not, oldest first."""

    @abc.abstractmethod
    async def user(self, user_id: int) -> User | None:
        """One user by id, or ``None``."""

    @abc.abstractmethod
    async def user_by_username(self, username: str) -> User | None:
        """One user by exact username, or ``None``."""

    @abc.abstractmethod
    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
        end_sessions: bool = False,
    ) -> User | None:
        """Change the given fields (``None`` keeps one); ``end_sessions`` deletes every
        session of the user in the same transaction. Returns the updated user, or ``None`` if
        there is no such user."""

    @abc.abstractmethod
    async def add_session(self, session: UserSession) -> None:
        """Keep a new session; its ``id`` is unique (a hash of a random token)."""

    @abc.abstractmethod
    async def session(self, session_id: str) -> UserSession | None:
        """One session by id, expired or not, or ``None`` (ended, pruned or never made)."""

    @abc.abstractmethod
    async def touch_session(self, session_id: str, seen_ts: float, expires_ts: float) -> None:
        """Record that the session was used and move its expiry; an unknown id is ignored."""

    @abc.abstractmethod
    async def end_session(self, session_id: str) -> bool:
        """Delete one session; whether it existed."""

    @abc.abstractmethod
    async def prune_sessions(self, now: float) -> int:
        """Delete every session whose ``expires_ts`` is ``now`` or earlier; return how many."""

    @abc.abstractmethod
    async def add_api_key(
        self,
        name: str,
        role: str,
        prefix: str,
        key_hash: str,
        user_id: int | None,
        created_ts: float,
    ) -> ApiKey:
        """Keep a new API key (never used yet); ids increase with every call."""

    @abc.abstractmethod
    async def api_keys(self) -> list[ApiKey]:
        """Every API key, oldest first."""

    @abc.abstractmethod
    async def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        """The key whose prefix this is, or ``None``; prefixes are unique."""

    @abc.abstractmethod
    async def mark_api_key_used(self, key_id: int, used_ts: float) -> None:
        """Remember when a key was last used; an unknown id is ignored."""

    @abc.abstractmethod
    async def delete_api_key(self, key_id: int) -> bool:
        """Forget a key; whether it existed."""

    @abc.abstractmethod
    async def setting(self, name: str) -> str | None:
        """A value the web API keeps across restarts, or ``None``."""

    @abc.abstractmethod
    async def add_setting_if_absent(self, name: str, value: str) -> str:
        """Keep ``value`` under ``name`` unless a value is kept already; return the kept one.
        Two processes racing to set it end up with the same value."""


class Outbox(abc.ABC):
    """The outbox role: notifications kept until they are delivered (pulse_core.alerting)."""

    @abc.abstractmethod
    async def add_to_outbox(
        self, messages: Sequence[OutboxMessage], announced: Mapping[str, float] | None = None
    ) -> int:
        """Keep new messages in one transaction; a message whose ``id`` is kept already is
        left as it is (so the same notification queued twice is sent once). Return how many
        were added.

        ``announced`` (endpoint id → time of a status change, possibly with no message at
        all) raises each endpoint's announced-up-to mark to that time in the same
        transaction; a mark never goes back. It is the alert engine's record of the latest
        change it has dealt with, so that after a crash it replays exactly the stored changes
        it never got to (``pulse_core.alerting.replay``)."""

    @abc.abstractmethod
    async def announced_up_to(self) -> dict[str, float]:
        """The announced-up-to mark of every endpoint that has one (see ``add_to_outbox``)."""

    @abc.abstractmethod
    async def pending_messages(self) -> list[OutboxMessage]:
        """Every message in state ``pending``, oldest (``created_ts``) first.

        Once the store is fenced for a cluster node (``Coordination.fence``), only the
        messages this node may deliver, which it claims in the same step: those nobody
        claimed, those it claimed itself (``add_to_outbox`` claims what the node adds), and
        those of a membership no longer alive (declared dead, lease lapsed, left, or its
        name since joined again). Two nodes asking at once never both get a message."""

    @abc.abstractmethod
    async def update_message(self, message: OutboxMessage) -> None:
        """Record the outcome of a delivery attempt (state, attempts, next attempt, last
        error, delivery time, reference) of the kept message with ``message.id``, atomically."""

    async def update_messages(self, messages: Sequence[OutboxMessage]) -> None:
        """:meth:`update_message` for several messages at once: a courier hands over the
        outcomes of its concurrent deliveries together, which a store may keep in one
        transaction (this default makes one per message)."""
        for message in messages:
            await self.update_message(message)

    @abc.abstractmethod
    async def dead_letters(self, limit: int) -> list[OutboxMessage]:
        """At most ``limit`` messages in state ``dead``, the most recently tried first."""

    @abc.abstractmethod
    async def thread_reference(self, notifier: str, thread_key: str) -> str | None:
        """The ``reference`` of the first delivered message of ``notifier`` in the thread
        that has one, or None."""

    @abc.abstractmethod
    async def outbox_health(self) -> dict[str, OutboxHealth]:
        """Counts of kept messages by notifier name: sent (delivered), failed (dead),
        pending, the last delivery time and the most recent error."""

    @abc.abstractmethod
    async def prune_outbox(self, before: float) -> int:
        """Delete delivered and dead messages created before ``before``; return how many."""


class Store(HistoryStore, Upkeep, ConfigVersions, Accounts, Outbox):
    """Persistent history of one Pulse installation: every role, opened and closed as one."""

    #: URL schemes this store serves, e.g. ``("sqlite",)``; ``sqlite+aiosqlite`` style URLs
    #: match on the part before ``+``.
    url_schemes: ClassVar[tuple[str, ...]]

    def __init__(self, url: str) -> None:
        self.url = url

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create or migrate the schema. Called once before anything else."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish pending work and disconnect. Nothing written before ``close`` may be lost."""


def _check_row(check: CheckResult) -> CheckRow:
    return round(check.ts * 1000), check.status == "up", check.rtt_ms, check.error


def _rollup_row(rollup: Rollup) -> RollupRow:
    return (
        round(rollup.bucket_ts * 1000), rollup.total, rollup.up, rollup.rtt_sum_ms,
        rollup.rtt_count, rollup.down_events,
    )


def _runs(
    records: Sequence[CheckResult] | Sequence[Rollup], row: Callable[[Any], tuple[Any, ...]]
) -> list[tuple[str, list[Any]]]:
    """``records`` (endpoint after endpoint) as one run of rows per endpoint."""
    runs: list[tuple[str, list[Any]]] = []
    for record in records:
        if not runs or runs[-1][0] != record.endpoint_id:
            runs.append((record.endpoint_id, []))
        runs[-1][1].append(row(record))
    return runs
