"""One alert when a site loses its last live node, and one when a node of it is back.

Endpoints of a site without a live node are not checked by anyone, so none of them can go
offline: without a word of its own, the loss of a whole remote site would pass in silence.
The alert is sent as a status change of the site itself (an endpoint named after it, in
the group of its first endpoint, so routes, templates and every notifier treat it as they
treat any endpoint): ``offline`` with the reason, then ``online``.

Every node notices; the node holding the cluster's maintenance lock sends, and claims each
announcement in the store's settings under a name made of the memberships that died, so a
lock that moves or a node that restarts never sends the same alert twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from pulse_core.alerting.engine import AlertEngine
from pulse_core.cluster.ownership import Ownership
from pulse_core.coordination import NodeRecord
from pulse_core.models import Endpoint, Outage, State, StatusChange
from pulse_core.store import Store

log = logging.getLogger("pulse.cluster")

SETTING_PREFIX = "cluster.site"


def site_endpoint(site: str, endpoints: Sequence[Endpoint]) -> Endpoint:
    """The site as an endpoint of its own, filed with its first endpoint."""
    return Endpoint(
        f"site-{site}", f"Site {site}", endpoints[0].group_id, "site", site,
        failure_threshold=1, success_threshold=1, site=site,
    )


class SiteWatch:
    """Tells when a site lost its last live node, and when it has one again."""

    def __init__(
        self, store: Store, alerts: AlertEngine, may_send: Callable[[], Awaitable[bool]]
    ) -> None:
        self._store = store
        self._alerts = alerts
        self._may_send = may_send
        #: sites without a live node, with the name of that outage and when it was seen
        self._down: dict[str, tuple[str, float]] = {}

    async def follow(
        self, ownership: Ownership, records: Sequence[NodeRecord], endpoints: Sequence[Endpoint]
    ) -> None:
        # a site counts as lost once a member of it died: a site none of whose nodes has
        # joined yet (a cluster starting) has nothing to announce
        died = {record.site for record in records if not record.alive}
        orphaned = ownership.orphaned_sites(endpoints) & died
        gone = orphaned - self._down.keys()
        back = self._down.keys() - orphaned
        now = time.time()
        for site in gone:
            dead = sorted(f"{r.name}:{r.epoch}" for r in records if r.site == site)
            self._down[site] = (hashlib.sha256("|".join(dead).encode()).hexdigest()[:16], now)
        returned = {site: self._down.pop(site) for site in back}
        if not (gone or returned) or not await self._may_send():
            return
        for site in sorted(gone):
            members = [endpoint for endpoint in endpoints if ownership.site_of(endpoint) == site]
            name, since = self._down[site]
            if await self._claim(f"{SETTING_PREFIX}.{site}.down.{name}", since):
                outage = Outage(f"site-{site}", since)
                reason = (
                    f"no live Pulse node at site {site}: its {len(members)} endpoints are "
                    "not checked"
                )
                log.error("%s", reason)
                await self._alerts.status_changed(
                    StatusChange(f"site-{site}", since, State.DOWN, State.UP, None, reason, outage),
                    site_endpoint(site, members),
                )
        for site, (name, since) in sorted(returned.items()):
            members = [endpoint for endpoint in endpoints if ownership.site_of(endpoint) == site]
            if members and await self._claim(f"{SETTING_PREFIX}.{site}.back.{name}", now):
                log.info("site %s has a live Pulse node again", site)
                outage = Outage(f"site-{site}", since, now)
                await self._alerts.status_changed(
                    StatusChange(f"site-{site}", now, State.UP, State.DOWN, None, None, outage),
                    site_endpoint(site, members),
                )

    async def _claim(self, name: str, at: float) -> bool:
        """Whether this node is the one to make the announcement ``name``."""
        mine = repr(at)
        return await self._store.add_setting_if_absent(name, mine) == mine
