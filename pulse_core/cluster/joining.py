"""How a starting Pulse finds out whether it is one node of a cluster, and which one.

The store decides: one that offers coordination (PostgreSQL) makes every Pulse on it a
cluster node, even a lone one, so that a second node can join at any time; one that serves a
single node (SQLite) is claimed for this process, and a second ``pulse run`` on it is
refused instead of checking everything twice.

A node's name and site differ from node to node while the configuration is shared, so they
come first from its environment (``PULSE_NODE_NAME``, ``PULSE_SITE``, which
``pulse run --node-name/--site`` set), then from ``cluster:`` (where they can read the
environment too: ``node_name: ${NODE}``), then from the host name and the default site.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

from pulse_core.cluster.runtime import Cluster, ClusterHost
from pulse_core.config.model import ClusterSection, PulseConfig
from pulse_core.coordination import NodeSupport
from pulse_core.store import Store

NODE_NAME_VARIABLE = "PULSE_NODE_NAME"
SITE_VARIABLE = "PULSE_SITE"
#: where the node's web API listens, as ``host:port``, when the command line says it
#: (``pulse run --host/--port``) rather than ``server:``
ADDRESS_VARIABLE = "PULSE_NODE_ADDRESS"


def node_identity(settings: ClusterSection, environ: Mapping[str, str]) -> tuple[str, str]:
    """This node's (name, site)."""
    name = environ.get(NODE_NAME_VARIABLE) or settings.node_name or socket.gethostname()
    site = environ.get(SITE_VARIABLE) or settings.site or settings.default_site
    return name, site


async def join_cluster(
    host: ClusterHost, store: Store, config: PulseConfig, environ: Mapping[str, str]
) -> Cluster | None:
    """This node's cluster membership, joined; ``None`` when the store serves one node,
    which is then claimed for this process (raises ``StoreInUse`` if another has it)."""
    if not isinstance(store, NodeSupport):
        return None
    coordination = store.coordination()
    if coordination is None:
        await store.claim_exclusive_use()
        return None
    name, site = node_identity(config.cluster, environ)
    address = environ.get(ADDRESS_VARIABLE) or f"{config.server.host}:{config.server.port}"
    cluster = Cluster(host, coordination, config.cluster, name, site, address)
    await cluster.join()
    return cluster
