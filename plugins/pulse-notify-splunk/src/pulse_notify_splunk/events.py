"""HEC events in the shape of docs/integrations.md, and a batch of them as HEC takes it.

Each event is ``{"time", "host", "source", "sourcetype", "index", "event": {"endpoint",
"status", "response_time", "group", "timestamp"}}`` (``index`` left out when not set, so the
token's default index applies); ``status`` is ``online``/``offline``, ``response_time`` a
number of milliseconds or null. A batch is the events' JSON objects one after the other (HEC
does not take an array), gzip-compressed once it is worth it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pulse_core.contract import CheckResult, CheckStatus, Endpoint, iso_timestamp
from pulse_notify_splunk.options import SplunkOptions

#: Batches at least this large are sent gzip-compressed.
GZIP_FROM_BYTES = 1024


def _envelope(
    options: SplunkOptions, ts: float, event: dict[str, Any]
) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "time": round(ts, 3),
        "host": options.host,
        "source": options.source,
        "sourcetype": options.sourcetype,
    }
    if options.index is not None:
        envelope["index"] = options.index
    envelope["event"] = event
    return envelope


def notification_event(
    options: SplunkOptions, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The event of a notification (a status change, reminder, summary or test); a parent's
    change that concerns endpoints behind it (``depends_on``) adds their ``affected_count``
    and first names (``affected``)."""
    timestamp = str(variables["timestamp"])
    response_time = variables.get("response_time")
    endpoint = variables["endpoint"]
    event = {
        "endpoint": endpoint["name"],
        "status": variables["status"],
        "response_time": response_time if isinstance(response_time, (int, float)) else None,
        "group": endpoint["group"],
        "timestamp": timestamp,
    }
    if variables.get("affected_count"):
        event["affected_count"] = variables["affected_count"]
        event["affected"] = variables["affected"]
    return _envelope(options, datetime.fromisoformat(timestamp).timestamp(), event)


def check_event(
    options: SplunkOptions, check: CheckResult, endpoint: Endpoint
) -> dict[str, Any]:
    """The event of one check (``mode: checks``)."""
    return _envelope(
        options,
        check.ts,
        {
            "endpoint": endpoint.name,
            "status": "online" if check.status is CheckStatus.UP else "offline",
            "response_time": None if check.rtt_ms is None else round(check.rtt_ms, 1),
            "group": endpoint.group_id,
            "timestamp": iso_timestamp(check.ts),
        },
    )


def batch_body(events: Iterable[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    """The request body and its headers for ``events``."""
    body = "\n".join(json.dumps(event, ensure_ascii=False) for event in events).encode()
    if len(body) < GZIP_FROM_BYTES:
        return body, {"Content-Type": "application/json"}
    return gzip.compress(body), {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
