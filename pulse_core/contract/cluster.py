"""What a plugin sees of the cluster a Pulse belongs to: :class:`ClusterStatus`.

A Pulse on a store that serves one node is a cluster of one, so a reader never needs to
tell the two apart: one live node that owns every endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from pulse_core.coordination import NodeRecord


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """The cluster as this node saw it at its latest heartbeat."""

    #: whether the store coordinates several nodes (PostgreSQL) or serves this one alone
    clustered: bool
    #: this node's name and site
    node: str
    site: str
    #: the site of endpoints whose configuration names none
    default_site: str
    #: every member, dead ones included until they join again or leave (empty when not
    #: clustered)
    nodes: tuple[NodeRecord, ...]
    #: ids of the endpoints this node probes
    owned: frozenset[str]
    #: sites that have endpoints and no live node: their endpoints show as ``unknown``
    orphaned_sites: frozenset[str]
