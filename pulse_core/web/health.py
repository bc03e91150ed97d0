"""``GET /api/health``: is Pulse up, and can it reach its store. Open to everyone, so load
balancers and service managers can ask without credentials."""

from __future__ import annotations

import time
from typing import Callable

from quart import Blueprint, current_app

from pulse_core import __version__, hookimpl
from pulse_core.web.access import public

blueprint = Blueprint("health", __name__)


@blueprint.get("/api/health")
@public
async def health() -> tuple[dict[str, object], int]:
    pulse = current_app.config["PULSE"]
    store_ok = await pulse.store.ping()
    body = {
        "status": "ok" if store_ok else "degraded",
        "version": __version__,
        "uptimeSeconds": round(time.time() - pulse.started_ts, 1),
        "store": "ok" if store_ok else "unreachable",
    }
    return body, 200 if store_ok else 503


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
