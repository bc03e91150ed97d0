"""``GET /api/topology``: which endpoints stand behind which (``depends_on``), with their live
statuses and, for an unreachable one, the parent that cuts it off (docs/topology.md).

The live list stays as it is (its items are the hot path); the dashboard reads this beside
it to group unreachable endpoints under their parent, and the endpoint page's tree view
uses the ``topology`` of ``GET /api/endpoints/{id}``, built by :func:`topology_item`.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from quart import Blueprint, current_app
from quart_schema import document_response, tag_blueprint

from pulse_core import hookimpl
from pulse_core.dependencies import Dependencies
from pulse_core.engine.state_table import StateTable
from pulse_core.web.api.live import status_of
from pulse_core.web.api.schemas import TopologyList

blueprint = Blueprint("topology", __name__)
tag_blueprint(blueprint, ["Endpoints"])


def topology_item(
    endpoint_id: str, dependencies: Dependencies, states: StateTable, now: float
) -> dict[str, Any] | None:
    """What ``endpoint_id`` depends on and what depends on it, or ``None`` when neither."""
    parents = dependencies.parents.get(endpoint_id, ())
    children = dependencies.children.get(endpoint_id, ())
    if not parents and not children:
        return None
    state = states.get(endpoint_id)
    return {
        "id": endpoint_id,
        "name": state.endpoint.name if state is not None else endpoint_id,
        "status": status_of(state, now).value,
        "unreachableBehind": state.cause if state is not None else None,
        "dependsOn": list(parents),
        "dependsOnMode": dependencies.mode_of(endpoint_id).value,
        "dependents": list(children),
    }


@blueprint.get("/api/topology")
@document_response(TopologyList)
async def topology() -> dict[str, Any]:
    """Every endpoint that depends on another or has others depending on it

    In configuration order. `unreachableBehind` is the id of the parent whose outage makes
    an `unreachable` endpoint so (`null` otherwise); `dependsOn` and `dependents` are ids.
    """
    pulse = current_app.config["PULSE"]
    dependencies, states, now = pulse.config.dependencies, pulse.monitor.states, time.time()
    involved = dependencies.parents.keys() | dependencies.children.keys()
    return {
        "items": [
            item
            for endpoint in pulse.config.endpoints
            if endpoint.id in involved
            and (item := topology_item(endpoint.id, dependencies, states, now)) is not None
        ]
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
