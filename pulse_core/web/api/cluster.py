"""``GET /api/cluster``: the nodes sharing the endpoints, and which sites they cover.

Any node answers for the whole cluster, as it saw the members at its latest heartbeat. A
Pulse on a store that serves one node is a cluster of one: it lists itself, alive, owning
every endpoint, with no membership figures (epoch, heartbeat, lease) to show.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable

from quart import Blueprint
from quart_schema import document_response, tag_blueprint

from pulse_core import __version__, hookimpl
from pulse_core.contract.cluster import ClusterStatus
from pulse_core.contract.view import PulseView, current_pulse
from pulse_core.coordination import NodeRecord
from pulse_core.web.api.schemas import ClusterOut
from pulse_core.web.serialize import iso

blueprint = Blueprint("cluster", __name__)
tag_blueprint(blueprint, ["Cluster"])


def _member_json(record: NodeRecord) -> dict[str, Any]:
    stats = record.stats
    return {
        "name": record.name,
        "site": record.site,
        "alive": record.alive,
        "epoch": record.epoch,
        "joinedAt": iso(record.joined_ts),
        "heartbeatAt": iso(record.heartbeat_ts),
        "leaseAgeSeconds": round(record.lease_age_s, 3),
        "endpointsOwned": stats.endpoints_owned,
        "checksPerSecond": stats.checks_per_s,
        "version": stats.version,
        "address": stats.address,
    }


def _lone_node_json(pulse: PulseView, status: ClusterStatus, now: float) -> dict[str, Any]:
    """This node as the only member: its rate is the average since start-up, since it keeps
    no heartbeat to measure between."""
    uptime_s = now - pulse.started_ts
    started = pulse.scheduler_stats().started
    server = pulse.config.server
    return {
        "name": status.node,
        "site": status.site,
        "alive": True,
        "epoch": None,
        "joinedAt": iso(pulse.started_ts),
        "heartbeatAt": None,
        "leaseAgeSeconds": None,
        "endpointsOwned": len(status.owned),
        "checksPerSecond": round(started / uptime_s, 2) if uptime_s > 0 else 0.0,
        "version": __version__,
        "address": f"{server.host}:{server.port}",
    }


def _sites_json(pulse: PulseView, status: ClusterStatus) -> list[dict[str, Any]]:
    endpoints = Counter(endpoint.site or status.default_site for endpoint in pulse.endpoints())
    if status.clustered:
        live = Counter(record.site for record in status.nodes if record.alive)
        members = {record.site for record in status.nodes}
    else:
        live = Counter([status.site])
        members = {status.site}
    return [
        {
            "site": site,
            "liveNodes": live[site],
            "endpoints": endpoints[site],
            "reachable": site not in status.orphaned_sites,
        }
        for site in sorted(endpoints.keys() | members)
    ]


@blueprint.get("/api/cluster")
@document_response(ClusterOut)
async def cluster() -> dict[str, Any]:
    """The nodes of the cluster and the sites they cover

    Every member by name, dead ones included until they join again or leave, with what it
    reported at its latest heartbeat; every site that has endpoints or members, with its live
    nodes and whether its endpoints are probed. A Pulse on a single-node store (SQLite) lists
    itself alone, with `clustered: false`.
    """
    pulse = current_pulse()
    status = pulse.cluster_status()
    if status.clustered:
        nodes = [_member_json(record) for record in status.nodes]
    else:
        nodes = [_lone_node_json(pulse, status, time.time())]
    return {
        "clustered": status.clustered,
        "node": status.node,
        "site": status.site,
        "defaultSite": status.default_site,
        "nodes": nodes,
        "sites": _sites_json(pulse, status),
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
