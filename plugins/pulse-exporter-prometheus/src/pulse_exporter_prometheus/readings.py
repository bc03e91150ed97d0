"""One consistent reading of every endpoint's live state, taken on the event loop.

Rendering a scrape of 10,000 endpoints takes tens of milliseconds and runs in a worker
thread; the live state keeps changing on the loop meanwhile. So the view's statuses, values
read in one pass that never yields, are taken here, and the thread only formats them.

Every node of a cluster holds every endpoint's state (the others' mirrored), so each node
exports only the endpoints it probes: across the cluster, each endpoint is exported once.
"""

from __future__ import annotations

from pulse_core.contract import (
    STATUS_WORDS,
    ClusterStatus,
    EndpointStatus,
    LiveStatus,
    PulseView,
)

#: live status → the status word other systems see, used as label values
LABEL_WORDS = {status: STATUS_WORDS[status] for status in LiveStatus}


def read_endpoints(pulse: PulseView, now: float, cluster: ClusterStatus) -> list[EndpointStatus]:
    """Statuses of the enabled endpoints this node probes (a disabled one is not monitored,
    so it is neither online nor offline and has no series)."""
    statuses = pulse.statuses(now)
    if cluster.clustered:
        owned = cluster.owned
        statuses = [status for status in statuses if status.endpoint.id in owned]
    return [status for status in statuses if status.endpoint.enabled]
