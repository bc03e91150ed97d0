"""Which live node probes each endpoint: rendezvous (highest random weight) hashing.

Every node computes the same answer from the same list of live members, with nothing to
agree on beyond that list: each endpoint goes to the node of its site whose hash of
``(node, endpoint)`` is highest. When a node joins, it takes from each other node about its
share and nothing moves between the others; when one dies, only its endpoints move, spread
over the survivors. Endpoints of a site with no live node have no owner: they are shown as
``unknown`` rather than checked from a place that cannot reach them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pulse_core.models import Endpoint


@dataclass(frozen=True, slots=True)
class Member:
    """A live node as ownership sees it."""

    name: str
    site: str


def weight(node: str, endpoint_id: str) -> int:
    """The node's score for the endpoint: the same on every node and every run."""
    digest = hashlib.blake2b(f"{node}\0{endpoint_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class Ownership:
    """The owner of every endpoint for one set of live members."""

    def __init__(self, members: Iterable[Member], default_site: str) -> None:
        self.default_site = default_site
        by_site: dict[str, list[str]] = {}
        for member in members:
            by_site.setdefault(member.site, []).append(member.name)
        self.nodes_by_site: Mapping[str, Sequence[str]] = {
            site: tuple(sorted(names)) for site, names in by_site.items()
        }

    def site_of(self, endpoint: Endpoint) -> str:
        return endpoint.site or self.default_site

    def owner(self, endpoint: Endpoint) -> str | None:
        """The node that probes ``endpoint``, or ``None`` when its site has no live node."""
        nodes = self.nodes_by_site.get(self.site_of(endpoint))
        if not nodes:
            return None
        endpoint_id = endpoint.id
        return max(nodes, key=lambda node: weight(node, endpoint_id))

    def owned_by(self, node: str, endpoints: Iterable[Endpoint]) -> list[Endpoint]:
        return [endpoint for endpoint in endpoints if self.owner(endpoint) == node]

    def orphaned_sites(self, endpoints: Iterable[Endpoint]) -> set[str]:
        """Sites that have endpoints and no live node."""
        return {
            site
            for endpoint in endpoints
            if (site := self.site_of(endpoint)) not in self.nodes_by_site
        }
