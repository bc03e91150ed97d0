"""What a store offers so that running Pulse processes ("nodes") share it safely.

One node per database is the rule for an embedded store: two processes appending to one
SQLite file would both check every endpoint and send every alert twice, so the second is
refused (:meth:`NodeSupport.claim_exclusive_use`). A server database shared by several nodes
becomes the cluster's coordination engine instead (:class:`Coordination`): nodes hold leases
there, see each other, fence a node that lost its lease, elect one node for a job with an
advisory lock, and tell each other about changes through a publish/subscribe channel.
Nothing else is needed to run a cluster: no second server, and the database's own
replication and failover serve the cluster too. ``docs/cluster.md`` tells how the core uses
each part.

All times that decide whether a lease lapsed are read off the database's clock, so nodes
whose own clocks disagree still agree on who is alive.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

from pulse_core.store import StoreUnavailable


class StoreInUse(Exception):
    """Another running Pulse uses this store, which serves one node only. The message names
    the store and the fix."""


class NodeNameTaken(Exception):
    """A live node of the cluster already holds this node name."""


class LeaseLost(Exception):
    """This node's lease lapsed and another node declared it dead: it must stop probing and
    alerting, drop what it has not written, and join again as a new member."""


class Fenced(StoreUnavailable):
    """A write refused because the node that made it no longer holds its lease: whatever it
    held in memory belongs to the nodes that took over its endpoints."""


@dataclass(frozen=True, slots=True)
class NodeStats:
    """What a node reports with each heartbeat, for ``GET /api/cluster`` and the metrics."""

    endpoints_owned: int
    checks_per_s: float
    version: str
    #: where the node's web API listens, as ``host:port`` (``None`` when it serves none)
    address: str | None = None


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One member of the cluster, as the database saw it when read."""

    name: str
    site: str
    #: increases each time the name joins again: the fencing token of one membership
    epoch: int
    joined_ts: float
    heartbeat_ts: float
    #: seconds since the last heartbeat, by the database's clock
    lease_age_s: float
    #: the lease has not lapsed and no node declared this one dead
    alive: bool
    stats: NodeStats


#: called with (channel, payload) for each message published on a channel being listened to
Listener = Callable[[str, str], None]


class Coordination(abc.ABC):
    """Membership, leases, fencing, locks and messages between the nodes of one cluster."""

    @abc.abstractmethod
    async def join(self, name: str, site: str, lease_s: float, stats: NodeStats) -> int:
        """Become a member (or a member again) with a lease of ``lease_s``; return the new
        epoch. Raises :class:`NodeNameTaken` while a live node holds ``name``."""

    @abc.abstractmethod
    async def heartbeat(self, name: str, epoch: int, lease_s: float, stats: NodeStats) -> None:
        """Renew the lease of membership ``epoch`` for ``lease_s`` from now. Raises
        :class:`LeaseLost` when that membership was declared dead (a lease that lapsed
        without anyone noticing is simply renewed)."""

    @abc.abstractmethod
    async def nodes(self) -> list[NodeRecord]:
        """Every member, dead ones included until they leave or join again, by name."""

    @abc.abstractmethod
    async def declare_dead(self, name: str, epoch: int) -> bool:
        """Declare membership ``epoch`` of ``name`` dead, if its lease lapsed by the
        database's clock; whether it was. Serialised with that node's fenced writes: each of
        them happens wholly before the declaration, or is refused."""

    @abc.abstractmethod
    async def leave(self, name: str, epoch: int) -> None:
        """End membership ``epoch`` (a clean stop): the others take over at once."""

    @abc.abstractmethod
    def fence(self, name: str, epoch: int) -> None:
        """From now on, every write of this store (checks, outages, snapshots, the outbox)
        runs only while membership ``epoch`` of ``name`` is alive, and raises
        :class:`Fenced` otherwise; outbox messages are claimed in this node's name (see
        ``pending_messages``)."""

    @abc.abstractmethod
    async def try_lock(self, job: str) -> bool:
        """Take the cluster-wide lock named ``job`` if no node holds it; whether this node
        now holds it. A lock is held until :meth:`unlock` or until the node's connection to
        the database ends (a killed node loses its locks at once)."""

    @abc.abstractmethod
    async def unlock(self, job: str) -> None:
        """Let go of a lock this node holds (nothing happens otherwise)."""

    @abc.abstractmethod
    async def publish(self, channel: str, payload: str) -> None:
        """Send ``payload`` (at most :attr:`max_payload` bytes of UTF-8) to every node
        listening on ``channel``, this one included."""

    @abc.abstractmethod
    async def listen(self, channels: tuple[str, ...], listener: Listener) -> None:
        """Call ``listener`` for each message on ``channels`` until :meth:`close`, on the
        event loop. The connection is kept up (re-established when lost); messages published
        while it was down are lost, which a caller must allow for."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop listening and let go of every lock."""

    #: the largest payload :meth:`publish` carries, in bytes
    max_payload: int = 7900


class NodeSupport(abc.ABC):
    """The role a store plays towards the running Pulse processes that use it."""

    @abc.abstractmethod
    def coordination(self) -> Coordination | None:
        """The cluster coordination this store offers, or ``None`` for a store that serves
        one node only. Valid once the store is open."""

    @abc.abstractmethod
    async def claim_exclusive_use(self) -> None:
        """For a store that serves one node: make sure no other running Pulse uses it, and
        keep it that way until the store closes. Raises :class:`StoreInUse` (naming the
        store and the fix) when another process holds it. Other commands (``pulse user``,
        ``pulse apikey``) open the store without claiming it."""
