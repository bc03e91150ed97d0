"""After a crash: the stored status changes the alert engine never got to.

The store writer keeps a change (its outage and the endpoint's snapshot) and only then
announces it through ``pulse_status_changed``; the alert engine then writes the change's
notifications to the outbox and, in the same transaction, raises the endpoint's
*announced-up-to mark* to the time of the change (``Store.add_to_outbox(announced=...)``).
A crash (``kill -9``) between the store write and that transaction leaves a stored change
above its endpoint's mark; at start-up the engine replays exactly those changes through the
rules live changes follow (routing, maintenance, storms, ``max_age``).

Only an outage's edges can be news, so only they are replayed: its start (offline) and its
observed end (online; an end written by the gap rule after a long stop is no recovery). A
first state online opens or closes no outage: it is never news, so never replayed; nor is a
period unreachable behind a parent (an outage with a ``cause``), which sends nothing live. The time
of a change here is the time its state began (the outage's start or end, the snapshot's
``state_since``): the same time in the mark and in the outage it is compared with.

Marks exist from the first start of an engine that writes them (kept as the
``alerting.announced_since`` setting): older changes count as announced, so neither a new
installation nor an upgrade sends old news.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pulse_core.models import Endpoint, Outage, State, StatusChange
from pulse_core.store import Store

ANNOUNCED_SINCE_SETTING = "alerting.announced_since"
#: Outages are looked up until a little after now, in case the clock stepped back.
CLOCK_SLACK_S = 60.0


def change_time(change: StatusChange) -> float | None:
    """When the state of a change that can be news began; None for one that never is."""
    outage = change.outage
    if outage is None:
        return None
    return outage.started_ts if change.state is State.DOWN else outage.ended_ts


async def unannounced_changes(
    store: Store, endpoints: Sequence[Endpoint], now: float, horizon_s: float
) -> list[tuple[StatusChange, Endpoint]]:
    """Stored changes of ``endpoints`` above their marks and younger than ``horizon_s``,
    oldest first."""
    floor = float(await store.add_setting_if_absent(ANNOUNCED_SINCE_SETTING, repr(now)))
    since = max(floor, now - horizon_s)
    marks = await store.announced_up_to()
    by_id = {endpoint.id: endpoint for endpoint in endpoints}
    found: list[tuple[StatusChange, Endpoint]] = []
    for outage in await store.outages(None, since, now + CLOCK_SLACK_S):
        endpoint = by_id.get(outage.endpoint_id)
        if endpoint is None or not outage.offline:
            continue
        after = max(since, marks.get(endpoint.id, since))
        found += [(change, endpoint) for change in _edges(outage) if change.ts > after]
    return sorted(found, key=lambda pair: pair[0].ts)


def opening_change(outage: Outage) -> StatusChange:
    """The change that opened ``outage``, as it was announced (the outage still open); what
    the state was before it is not kept."""
    opened = dataclasses.replace(outage, ended_ts=None, gap=False)
    return StatusChange(
        outage.endpoint_id,
        outage.started_ts,
        State.DOWN,
        State.UNKNOWN,
        error=outage.last_error,
        outage=opened,
    )


def _edges(outage: Outage) -> list[StatusChange]:
    """The changes an outage stands for."""
    edges = [opening_change(outage)]
    if outage.ended_ts is not None and not outage.gap:
        edges.append(
            StatusChange(
                outage.endpoint_id, outage.ended_ts, State.UP, State.DOWN, outage=outage
            )
        )
    return edges
