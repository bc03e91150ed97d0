"""``GET /api/health``: is Pulse up, and can it reach and write its store. Open to everyone, so
load balancers and service managers can ask without credentials.

A store can answer every ping while refusing every write (a full disk, a read-only file):
so the writer's account of its writes is part of the answer, and a store whose latest
write failed is ``failing``, a 503 like one that does not answer."""

from __future__ import annotations

import time
from typing import Callable, Literal

from pydantic import Field
from quart import Blueprint
from quart_schema import document_response, tag_blueprint

from pulse_core import __version__, hookimpl
from pulse_core.contract.access import public
from pulse_core.contract.view import StoreStats, current_pulse
from pulse_core.web.api.schemas import Shape
from pulse_core.web.serialize import iso

blueprint = Blueprint("health", __name__)
tag_blueprint(blueprint, ["Health"])


class WritesOut(Shape):
    """How writing checks to the store goes; times are ISO 8601 UTC, ``null`` if never."""

    failures: int = Field(description="failed write attempts since start-up (each is retried)")
    last_error: str | None = Field(description="the latest failed attempt's error")
    last_failure_at: str | None
    last_success_at: str | None
    failing_since: str | None = Field(
        description="when the current run of failed attempts began; null while writes succeed"
    )
    backlog: int = Field(description="checks waiting in memory to be written")
    backlog_age_seconds: float = Field(
        description="age of the oldest check waiting to be written; 0 when none waits"
    )
    dropped: int = Field(description="checks dropped because the backlog reached its cap")


class HealthOut(Shape):
    """Whether Pulse is up and reaches and writes its store (the same body with 200 and
    503)."""

    status: Literal["ok", "degraded"]
    version: str
    uptime_seconds: float
    store: Literal["ok", "failing", "unreachable"]
    writes: WritesOut


@blueprint.get("/api/health")
@public
@document_response(HealthOut)
@document_response(HealthOut, 503)
async def health() -> tuple[dict[str, object], int]:
    """Is Pulse up, and can it reach and write its store

    200 when the store answers and the latest write succeeded; 503 (`status: degraded`) with
    `store: unreachable` when the store does not answer, or `store: failing` while its latest
    write failed (checks then wait in memory: `writes.backlog`, `writes.backlogAgeSeconds`).
    Open to everyone and never rate limited, so load balancers may poll it as often as they
    like.
    """
    pulse = current_pulse()
    now = time.time()
    reachable = await pulse.store.ping()
    stats = pulse.store_stats()
    if not reachable:
        store = "unreachable"
    else:
        store = "failing" if stats.failing else "ok"
    body: dict[str, object] = {
        "status": "ok" if store == "ok" else "degraded",
        "version": __version__,
        "uptimeSeconds": round(now - pulse.started_ts, 1),
        "store": store,
        "writes": _writes(stats, now),
    }
    return body, 200 if store == "ok" else 503


def _writes(stats: StoreStats, now: float) -> dict[str, object]:
    oldest = stats.oldest_pending_ts
    return {
        "failures": stats.write_failures,
        "lastError": stats.last_error,
        "lastFailureAt": iso(stats.last_failure_ts),
        "lastSuccessAt": iso(stats.last_success_ts),
        "failingSince": iso(stats.failing_since_ts),
        "backlog": stats.pending,
        "backlogAgeSeconds": 0.0 if oldest is None else round(max(0.0, now - oldest), 1),
        "dropped": stats.dropped,
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
