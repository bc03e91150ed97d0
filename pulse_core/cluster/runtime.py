"""The cluster wired into a running Pulse: this node's share of the endpoints, kept up to date.

A node on a store that offers coordination (PostgreSQL) joins the cluster when it starts,
then:

- probes only the endpoints it owns (:mod:`.ownership` over the live members), taking over
  the state of each endpoint it gains (:mod:`.takeover`) before its first check;
- publishes what it writes, and takes in what the others write (:mod:`.bus`), so its API
  and live streams show every endpoint of the cluster: both go through the stored stream
  (:mod:`pulse_core.stored`), what it heard marked remote;
- follows the configuration the cluster runs: a version applied on any node is announced on
  the configuration channel and applied by every other node, which validates it first;
- runs the store's upkeep (rollups, retention) only while it holds the cluster-wide
  maintenance lock;
- on losing its lease (frozen, or cut off from the database) stops probing and alerting at
  once, drops what it had not written, and joins again.

A joining node waits one and a half heartbeats before it probes anything, so the members
that hand endpoints over to it have seen it join and stopped probing them first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from pulse_core import __version__
from pulse_core.alerting.engine import AlertEngine
from pulse_core.cluster import bus
from pulse_core.cluster.membership import Membership
from pulse_core.cluster.ownership import Member, Ownership
from pulse_core.cluster.sites import SiteWatch
from pulse_core.cluster.takeover import mirror, take_over
from pulse_core.config.model import ClusterSection, PulseConfig
from pulse_core.contract.cluster import ClusterStatus
from pulse_core.coordination import Coordination, NodeStats
from pulse_core.engine.monitor import Monitor
from pulse_core.engine.scheduler import Scheduler
from pulse_core.engine.writer import StoreWriter
from pulse_core.models import Endpoint
from pulse_core.store import Store
from pulse_core.stored import StoredBatch, StoredStream

log = logging.getLogger("pulse.cluster")

#: the channel that announces a configuration version applied on some node
CONFIG_CHANNEL = "pulse_config"
#: the cluster-wide lock held by the node that runs the store's upkeep
MAINTENANCE_LOCK = "pulse-maintenance"


class ClusterHost(Protocol):
    """What the cluster reads and drives of the running Pulse."""

    config: PulseConfig
    config_version_id: int | None
    store: Store
    monitor: Monitor
    scheduler: Scheduler
    writer: StoreWriter
    alerts: AlertEngine
    stream: StoredStream

    async def follow_config(self, version_id: int) -> None: ...


class Cluster:
    """This node's part in the cluster."""

    def __init__(
        self,
        host: ClusterHost,
        coordination: Coordination,
        settings: ClusterSection,
        name: str,
        site: str,
        address: str | None,
    ) -> None:
        self.host = host
        self.coordination = coordination
        self.settings = settings
        self.address = address
        self.membership = Membership(
            coordination, name, site, settings.heartbeat_seconds, self._stats
        )
        self.ownership = Ownership((), settings.default_site)
        #: ids of the endpoints this node probes
        self.owned_ids: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        #: whether this node has taken its share yet (see :meth:`start`)
        self._sharing = False
        self._following = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self.sites = SiteWatch(host.store, host.alerts, self.may_maintain)
        self._checks_seen = 0
        self._rate_since = (time.monotonic(), 0)

    @property
    def name(self) -> str:
        return self.membership.name

    # -- life cycle ---------------------------------------------------------------------------
    async def join(self) -> None:
        """Become a member, start hearing the others and keep the lease from now on (the
        rest of start-up can take longer than a lease); nothing is probed yet."""
        await self.membership.join()
        await self.coordination.listen((bus.CHANNEL, CONFIG_CHANNEL), self._heard)
        self._tasks.append(asyncio.create_task(
            self.membership.run(self._members_changed, self._lost_lease), name="pulse-cluster"
        ))

    def start(self) -> None:
        """Take this node's share (after the others have seen it join) and keep it, in a
        task of its own: the web API answers meanwhile."""
        self._tasks.append(asyncio.create_task(self._take_share(), name="pulse-cluster-share"))

    async def _take_share(self) -> None:
        await self.membership.settle()
        self._sharing = True
        await self.membership.follow(self._follow_members)

    async def _members_changed(self, live: Sequence[Member]) -> None:
        if self._sharing:
            await self._follow_members(live)

    def stop_probing(self) -> None:
        """The first step of a clean stop: nothing more is started."""
        for task in self._tasks:
            task.cancel()
        self.owned_ids = set()

    async def leave(self) -> None:
        """The last step of a clean stop, once every check taken is written: the others
        take over at once instead of waiting for the lease."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.membership.leave()
        await self.coordination.close()

    # -- ownership ----------------------------------------------------------------------------
    def probed(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """Those of ``endpoints`` this node owns."""
        return self.ownership.owned_by(self.name, endpoints)

    def share(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """This node's share of the running configuration's ``endpoints``, remembered as
        the endpoints it owns; those of sites without a live node are marked unchecked in
        the state table, so they show as ``unknown``."""
        owned = self.probed(endpoints)
        self.owned_ids = {endpoint.id for endpoint in owned}
        table = self.host.monitor.states
        orphaned = self.ownership.orphaned_sites(endpoints)
        table.unchecked = {
            slot: f"no live Pulse node at site {site}"
            for slot, endpoint in enumerate(table.endpoints)
            if (site := self.ownership.site_of(endpoint)) in orphaned
        } if orphaned else {}
        return owned

    def owns(self, endpoint_id: str) -> bool:
        return endpoint_id in self.owned_ids

    async def _follow_members(self, live: Sequence[Member]) -> None:
        """Take this node's share of the endpoints among the live members: one at a time,
        each with the latest members (a membership change that arrives while a takeover is
        under way is followed after it, not beside it)."""
        async with self._following:
            await self._take_share_among(self.membership.live)

    async def _take_share_among(self, live: Sequence[Member]) -> None:
        host = self.host
        if host.alerts.setup is None:  # stopped when the lease was lost
            await host.alerts.start(host.config)
        before = self.owned_ids
        self.ownership = Ownership(live, self.settings.default_site)
        owned = self.share(host.config.endpoints)
        gained = [endpoint for endpoint in owned if endpoint.id not in before]
        grace_s = self.membership.lease_s + self.membership.heartbeat_s
        await take_over(host.store, host.monitor, host.writer, gained, time.time(), grace_s)
        host.scheduler.reschedule(owned)
        await host.alerts.take_over(gained)
        await host.alerts.resume_orphaned()
        await self.sites.follow(self.ownership, self.membership.records, host.config.endpoints)
        log.info(
            "cluster of %d live node(s): this node ('%s') probes %d of %d endpoints "
            "(%d taken over)", len(live), self.name, len(owned), len(host.config.endpoints),
            len(gained),
        )

    async def _lost_lease(self) -> None:
        """Stop probing everything at once (the store refuses the writes already queued),
        and forget the deliveries under way: they were claimed in the lost membership's
        name, and the nodes that took over deliver them."""
        self.owned_ids = set()
        self.host.scheduler.reschedule([])
        # taken while frozen or cut off, before this node knew: the store refuses them under
        # the old membership, and must not get them under the new one
        self.host.writer.discard("this node lost its cluster lease")
        await self.host.alerts.stop()

    # -- messages between nodes ---------------------------------------------------------------
    def stored(self, batch: StoredBatch) -> None:
        """Tell the other nodes what this node just wrote (a subscriber of the stored stream:
        it must not make the writer wait); what it heard from them is not sent back."""
        if batch.remote:
            return
        self._checks_seen += len(batch.checks)
        changes = [change for change, _ in batch.changes]
        messages = list(
            bus.encode(self.name, batch.checks, changes, self.coordination.max_payload)
        )
        if messages:
            self._in_background(self._publish(bus.CHANNEL, messages))

    async def announce_config(self, version_id: int) -> None:
        """Tell the other nodes that configuration version ``version_id`` now runs."""
        await self._publish(CONFIG_CHANNEL, [str(version_id)])

    async def _publish(self, channel: str, messages: Sequence[str]) -> None:
        try:
            for message in messages:
                await self.coordination.publish(channel, message)
        except Exception as error:  # the others read the store when they take over
            log.warning("telling the other cluster nodes failed: %s", error)

    def _heard(self, channel: str, payload: str) -> None:
        if channel == bus.CHANNEL:
            self._take_in(payload)
        elif channel == CONFIG_CHANNEL:
            try:
                version_id = int(payload)
            except ValueError:
                log.warning("ignoring a malformed configuration announcement %r", payload[:80])
                return
            if version_id != self.host.config_version_id:
                self._in_background(self.host.follow_config(version_id))

    def _take_in(self, payload: str) -> None:
        try:
            batch = bus.decode(payload)
        except ValueError as error:
            log.warning("ignoring a malformed message from another node: %s", error)
            return
        if batch.node == self.name:
            return
        mirror(self.host.monitor, batch.checks, self.owned_ids)
        self.host.stream.heard(batch.checks, batch.changes)

    def _in_background(self, work: object) -> None:
        task = asyncio.ensure_future(work)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- upkeep -------------------------------------------------------------------------------
    async def may_maintain(self) -> bool:
        """Whether this node runs the store's upkeep now: it holds the maintenance lock
        (taken when free; a dead holder's connection ended, which freed it)."""
        return await self.holds_job(MAINTENANCE_LOCK)

    async def holds_job(self, job: str) -> bool:
        """Whether this node holds the cluster-wide lock of ``job`` (taking it if free)."""
        try:
            return await self.coordination.try_lock(job)
        except Exception as error:
            log.warning("cannot take the cluster's %s lock: %s", job, error)
            return False

    # -- reporting ----------------------------------------------------------------------------
    def status(self) -> ClusterStatus:
        endpoints = self.host.config.endpoints
        return ClusterStatus(
            True, self.name, self.membership.site, self.settings.default_site,
            tuple(self.membership.records), frozenset(self.owned_ids),
            frozenset(self.ownership.orphaned_sites(endpoints)),
        )

    def _stats(self) -> NodeStats:
        now = time.monotonic()
        since, seen = self._rate_since
        rate = (self._checks_seen - seen) / (now - since) if now > since else 0.0
        self._rate_since = (now, self._checks_seen)
        return NodeStats(len(self.owned_ids), round(rate, 2), __version__, self.address)
