"""``GET /api/groups`` and ``GET /api/groups/{id}``: groups with their endpoints' live statuses.

Counts cover a group and every group below it, the same set the ``group`` filter of live
status selects, so a parent's numbers are what its page would show.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable

from quart import Blueprint, current_app
from quart_schema import document_response, tag_blueprint

from pulse_core import hookimpl
from pulse_core.models import Group, LiveStatus
from pulse_core.web.api.catalog import Catalog, current_catalog
from pulse_core.web.api.live import status_of
from pulse_core.web.api.schemas import ErrorBody, GroupDetail, GroupList
from pulse_core.web.serialize import group_json

blueprint = Blueprint("groups", __name__)
tag_blueprint(blueprint, ["Groups"])


def _counts_by_group(catalog: Catalog) -> dict[str, Counter[LiveStatus]]:
    """Live statuses of the endpoints directly in each group."""
    states = current_app.config["PULSE"].monitor.states
    now = time.time()
    counts: dict[str, Counter[LiveStatus]] = {group_id: Counter() for group_id in catalog.groups}
    for entry in catalog.entries:
        counts[entry.group.id][status_of(states.get(entry.endpoint.id), now)] += 1
    return counts


def _summary(catalog: Catalog, group: Group, direct: dict[str, Counter[LiveStatus]]) -> dict[str, Any]:
    total: Counter[LiveStatus] = Counter()
    for member in catalog.subtree(group.id):
        total.update(direct[member])
    return {
        **group_json(group),
        "endpointCount": sum(total.values()),
        "statusCounts": {status.value: total[status] for status in LiveStatus},
    }


@blueprint.get("/api/groups")
@document_response(GroupList)
async def list_groups() -> dict[str, Any]:
    """Every group, with endpoint and live status counts"""
    catalog = current_catalog()
    direct = _counts_by_group(catalog)
    return {"items": [_summary(catalog, group, direct) for group in catalog.groups.values()]}


@blueprint.get("/api/groups/<group_id>")
@document_response(GroupDetail)
@document_response(ErrorBody, 404)
async def group_detail(group_id: str) -> dict[str, Any]:
    """One group, with its direct child groups"""
    catalog = current_catalog()
    group = catalog.group(group_id)
    direct = _counts_by_group(catalog)
    return {
        **_summary(catalog, group, direct),
        "children": [_summary(catalog, child, direct) for child in catalog.children(group_id)],
    }


@hookimpl
def pulse_register_blueprints(register: Callable[[Blueprint], None]) -> None:
    register(blueprint)
