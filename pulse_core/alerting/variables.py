"""The template variables of a notification, built from a status change.

Status words are those of docs/integrations.md: ``online``/``offline`` (and ``unknown``
for the state before the first one); an ``unreachable`` endpoint sends nothing of its own
(docs/topology.md). Everything is JSON-serialisable, because the variables
are kept in the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulse_core.contract.timestamps import iso_timestamp
from pulse_core.models import STATUS_WORDS, Endpoint, Group, State, StatusChange

#: How many endpoint names a summary lists before "and N more".
SUMMARY_NAMES = 10


def human_duration(seconds: float) -> str:
    """``1h 02m 05s``, ``4m 10s``, ``12s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def endpoint_variables(endpoint: Endpoint, group: Group | None) -> dict[str, str]:
    return {
        "id": endpoint.id,
        "name": endpoint.name,
        "address": endpoint.address,
        "group": endpoint.group_id,
        "group_name": group.name if group else endpoint.group_id,
        "type": endpoint.type,
    }


def change_variables(
    change: StatusChange,
    endpoint: Endpoint,
    group: Group | None,
    kind: str = "status_change",
    now: float | None = None,
) -> dict[str, Any]:
    """Variables for a change (``kind`` ``status_change``) or a reminder of it at ``now``."""
    status, previous = STATUS_WORDS[change.state], STATUS_WORDS[change.previous]
    duration = ""
    if change.outage is not None and change.outage.ended_ts is not None:
        duration = human_duration(change.outage.ended_ts - change.outage.started_ts)
    elif kind == "reminder" and change.outage is not None and now is not None:
        duration = human_duration(now - change.outage.started_ts)
    names = endpoint_variables(endpoint, group)
    if kind == "reminder":
        message = (
            f"{endpoint.name} ({endpoint.address}) is still offline, for {duration}"
        )
    else:
        message = f"{endpoint.name} ({endpoint.address}) is {status} (was {previous})"
        if duration:
            message += f" after {duration}"
        if change.error and change.state is State.DOWN:
            message += f": {change.error}"
    return {
        "kind": kind,
        "endpoint": names,
        "status": status,
        "previous_status": previous,
        "timestamp": iso_timestamp(change.ts if kind != "reminder" or now is None else now),
        "response_time": "" if change.rtt_ms is None else round(change.rtt_ms, 1),
        "duration": duration,
        "error": change.error or "",
        "message": message,
        "count": 1,
        "affected_count": 0,
        "affected": "",
    }


def with_affected(variables: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``variables`` of a parent's change with the endpoints behind it (``depends_on``,
    docs/topology.md): those it made unreachable when it went offline, those back online
    when it recovered. Their count and first names go in the message, so every notifier's
    format says it; templates have them as ``affected_count`` and ``affected``."""
    if not names:
        return variables
    listed = _listed(names)
    verb = "is" if len(names) == 1 else "are"
    state = "unreachable" if variables["status"] == "offline" else "back online"
    return {
        **variables,
        "affected_count": len(names),
        "affected": listed,
        "message": f"{variables['message']}; {_counted(len(names), 'endpoint')} behind it "
        f"{verb} {state}: {listed}",
    }


def _listed(names: Sequence[str]) -> str:
    """``a, b, c and 7 more``: the first ``SUMMARY_NAMES`` names."""
    shown = names[:SUMMARY_NAMES]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def summary_variables(
    group: Group, changes: Sequence[dict[str, Any]], ts: float
) -> dict[str, Any]:
    """One message for a storm: ``changes`` are the variables of the changes it stands for,
    oldest first. One endpoint flapping 13 times is one endpoint that changed 13 times: the
    endpoints are counted once each, in the state of their last change."""
    latest: dict[str, dict[str, Any]] = {}
    for item in changes:
        latest.pop(item["endpoint"]["id"], None)  # keep them in the order they last changed
        latest[item["endpoint"]["id"]] = item
    endpoints = list(latest.values())
    offline = sum(1 for item in endpoints if item["status"] == "offline")
    online = len(endpoints) - offline
    listed = _listed([item["endpoint"]["name"] for item in endpoints])
    status = "offline" if offline >= online else "online"
    counted = _counted(len(endpoints), "endpoint")
    times = "" if len(changes) == len(endpoints) else f" {_counted(len(changes), 'time')}"
    return {
        "kind": "summary",
        "endpoint": {
            "id": "",
            "name": f"{counted} in {group.name}",
            "address": listed,
            "group": group.id,
            "group_name": group.name,
            "type": "",
        },
        "status": status,
        "previous_status": "online" if status == "offline" else "offline",
        "timestamp": iso_timestamp(ts),
        "response_time": "",
        "duration": "",
        "error": "",
        "message": f"{counted} in {group.name} changed{times} "
        f"({offline} offline, {online} online): {listed}",
        "count": len(changes),
        "affected_count": sum(item.get("affected_count", 0) for item in endpoints),
        "affected": "",  # each parent's list is in its own message, not in a summary
    }


def _counted(number: int, noun: str) -> str:
    """``1 endpoint``, ``13 endpoints``."""
    return f"{number} {noun}{'s' * (number != 1)}"


def test_variables(notifier_name: str, ts: float) -> dict[str, Any]:
    """A made-up offline change, for ``pulse notify test``."""
    return {
        "kind": "test",
        "endpoint": {
            "id": "pulse-test",
            "name": "Pulse test endpoint",
            "address": "192.0.2.1",
            "group": "pulse-test",
            "group_name": "Pulse test",
            "type": "tcp",
        },
        "status": "offline",
        "previous_status": "online",
        "timestamp": iso_timestamp(ts),
        "response_time": "",
        "duration": "",
        "error": "",
        "message": f"Test message from Pulse through notifier '{notifier_name}'",
        "count": 1,
        "affected_count": 0,
        "affected": "",
    }
