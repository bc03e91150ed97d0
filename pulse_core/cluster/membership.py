"""This node's membership of the cluster: joining, heartbeats, and who else is alive.

A node holds a lease in the store, renewed by a heartbeat every ``heartbeat_seconds``; the
lease runs three heartbeats. A member whose lease lapsed (by the store's clock) is declared
dead by the first live node that notices, and from then on the store refuses its writes
(see :mod:`pulse_core.coordination`): a node frozen (SIGSTOP) or cut off from the database
that wakes up finds its heartbeat refused and its writes fenced, drops what it held, and
joins again as a new member.

Declaring others dead is left to nodes whose own heartbeats have kept going: after the
database was away (a restart), every lease lapsed together, and a node that came back first
must not declare the others dead before they had a heartbeat's chance to come back too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from pulse_core.cluster.ownership import Member
from pulse_core.coordination import (
    Coordination,
    LeaseLost,
    NodeNameTaken,
    NodeRecord,
    NodeStats,
)

log = logging.getLogger("pulse.cluster")

#: how long a joining node waits, in heartbeats, before it probes
JOIN_SETTLE_BEATS = 1.5

OnMembers = Callable[[Sequence[Member]], Awaitable[None]]
OnLeaseLost = Callable[[], Awaitable[None]]
Stats = Callable[[], NodeStats]


class Membership:
    """Keeps this node a member and tells its owner when the set of live members changes."""

    def __init__(
        self,
        coordination: Coordination,
        name: str,
        site: str,
        heartbeat_s: float,
        stats: Stats,
    ) -> None:
        self.coordination = coordination
        self.name = name
        self.site = site
        self.heartbeat_s = heartbeat_s
        self.lease_s = 3 * heartbeat_s
        self.epoch = 0
        self._stats = stats
        #: monotonic time of the latest heartbeat the store took, and of the one before
        self._renewed = 0.0
        self._renewed_before = 0.0
        #: the members as last read, and the live ones among them
        self.records: list[NodeRecord] = []
        self.live: tuple[Member, ...] = ()

    async def settle(self) -> None:
        """After joining, give the members that will hand endpoints over to this node a
        heartbeat and a half to see it and stop probing them, then read the members."""
        await self.refresh()
        if any(member.name != self.name for member in self.live):
            await asyncio.sleep(JOIN_SETTLE_BEATS * self.heartbeat_s)
            await self.refresh()

    def holds_lease(self) -> bool:
        """Whether this node can be sure it is still a member: its latest heartbeat was taken
        less than a lease ago (by its own monotonic clock, which counts a frozen process's
        time too). A node that cannot be sure sends nothing."""
        return time.monotonic() - self._renewed < self.lease_s

    async def join(self, patience_s: float | None = None) -> None:
        """Become a member; a name still held by a membership of a previous run (killed,
        its lease not yet lapsed) is waited for, up to ``patience_s`` (default two leases)."""
        deadline = time.monotonic() + (2 * self.lease_s if patience_s is None else patience_s)
        waited = False
        while True:
            try:
                self.epoch = await self.coordination.join(
                    self.name, self.site, self.lease_s, self._stats()
                )
            except NodeNameTaken:
                if time.monotonic() >= deadline:
                    raise NodeNameTaken(
                        f"cluster node name '{self.name}' is held by a live node: give each node "
                        "its own name (pulse run --node-name, or cluster.node_name: "
                        "${PULSE_NODE_NAME})"
                    ) from None
                if not waited:
                    log.warning(
                        "cluster node name '%s' is still held, by this node's previous run or "
                        "another node: waiting up to %.0f s for its lease to lapse",
                        self.name, deadline - time.monotonic(),
                    )
                    waited = True
                await asyncio.sleep(self.heartbeat_s / 2)
                continue
            self._renewed = self._renewed_before = time.monotonic()
            self.coordination.fence(self.name, self.epoch)
            log.info(
                "joined the cluster as node '%s' (site %s, membership %d)",
                self.name, self.site, self.epoch,
            )
            return

    async def refresh(self) -> bool:
        """Read the members, declare those whose lease lapsed dead (when this node may),
        and return whether the set of live members changed."""
        self.records = await self.coordination.nodes()
        if self._beating_steadily():
            for record in self.records:
                if not record.alive and record.name != self.name and record.lease_age_s > 0:
                    if await self.coordination.declare_dead(record.name, record.epoch):
                        log.warning(
                            "cluster node '%s' (site %s) missed its heartbeats for %.1f s: "
                            "declared dead, its endpoints move to the live nodes",
                            record.name, record.site, record.lease_age_s,
                        )
        live = tuple(
            Member(record.name, record.site)
            for record in self.records
            if record.alive or (record.name == self.name and record.epoch == self.epoch)
        )
        changed = live != self.live
        self.live = live
        return changed

    def _beating_steadily(self) -> bool:
        """Whether this node's last two heartbeats were each taken within a lease."""
        now = time.monotonic()
        return now - self._renewed < self.lease_s and (
            self._renewed - self._renewed_before < self.lease_s
        )

    async def beat(self) -> None:
        """One heartbeat. Raises :class:`LeaseLost` when this membership was declared dead."""
        await self.coordination.heartbeat(self.name, self.epoch, self.lease_s, self._stats())
        self._renewed_before, self._renewed = self._renewed, time.monotonic()

    async def run(self, on_members: OnMembers, on_lease_lost: OnLeaseLost) -> None:
        """Heartbeat and watch the members until cancelled. A failed round (the database
        away) is logged once and retried at the next heartbeat."""
        failing = False
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await self.beat()
                changed = await self.refresh()
            except LeaseLost:
                log.error(
                    "this node ('%s') was declared dead after missing its heartbeats: it "
                    "stops probing and joins again", self.name,
                )
                await on_lease_lost()
                await self.join()
                await self.settle()
                await self.follow(on_members)
                continue
            except Exception as error:
                if not failing:
                    log.error("cluster heartbeat failed, retrying: %s", error)
                    failing = True
                continue
            if failing:
                log.info("cluster heartbeat works again")
                failing = False
            if changed:
                await self.follow(on_members)

    async def follow(self, on_members: OnMembers) -> None:
        """Hand the live members to ``on_members``; when that fails (the database went
        away while endpoints were being taken over), the next round tries again."""
        try:
            await on_members(self.live)
        except Exception as error:
            log.error("following the cluster's members failed, retrying: %s", error)
            self.live = ()

    async def leave(self) -> None:
        try:
            await self.coordination.leave(self.name, self.epoch)
        except Exception as error:
            log.warning("leaving the cluster failed (the others wait for the lease): %s", error)
