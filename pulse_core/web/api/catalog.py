"""What a configuration shows through the API, worked out once per configuration.

Groups, their hierarchy, every endpoint's JSON (as a dict, and the live list's part of it
already encoded) and its search text depend only on the configuration, so they are computed
the first time a request sees a configuration and reused until another one is applied.
Requests then add only what changes with every check: live status, RTT, sparklines.

The live list repeats its endpoint for each of thousands of items, so it carries the fields
of docs/api.md (``/api/status/live``) plus ``address`` (which the dashboard shows) and no more; the detail and
history routes keep the whole endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from quart import current_app

from pulse_core.config.model import PulseConfig
from pulse_core.contract.api_errors import bad_request, not_found
from pulse_core.contract.view import current_pulse
from pulse_core.models import Endpoint, Group
from pulse_core.web.serialize import endpoint_json

_EXTENSION_KEY = "pulse.catalog"
LIVE_ENDPOINT_KEYS = (
    "id", "name", "group", "type", "host", "port", "address", "httpPath", "httpMatch",
    "intervalSeconds", "timeoutMs", "retries", "enabled",
)
LIVE_GROUP_KEYS = ("id", "name", "parentId", "color")


@dataclass(frozen=True, slots=True, eq=False)
class CatalogEntry:
    endpoint: Endpoint
    group: Group
    json: dict[str, Any]
    #: the live list's part of ``json``, encoded once and spliced verbatim into its items
    live_encoded: str
    #: name, host and address in lower case, for ``search``
    search_text: str


class Catalog:
    def __init__(self, config: PulseConfig) -> None:
        self.config = config
        self.groups: dict[str, Group] = {
            group.id: group for group in sorted(config.groups, key=_group_order)
        }
        self._children: dict[str, list[str]] = {group_id: [] for group_id in self.groups}
        for group in self.groups.values():
            if group.parent_id in self._children:
                self._children[group.parent_id].append(group.id)
        self.entries: list[CatalogEntry] = sorted(
            (self._entry(endpoint) for endpoint in config.endpoints),
            key=lambda entry: (*_group_order(entry.group), entry.endpoint.name, entry.endpoint.id),
        )
        self._by_id = {entry.endpoint.id: entry for entry in self.entries}

    def _entry(self, endpoint: Endpoint) -> CatalogEntry:
        group = self.groups[endpoint.group_id]
        body = endpoint_json(endpoint, group)
        text = "\n".join((endpoint.name, endpoint.host, endpoint.address)).lower()
        return CatalogEntry(endpoint, group, body, _live_encoded(body), text)

    def __contains__(self, endpoint_id: object) -> bool:
        return endpoint_id in self._by_id

    def entry(self, endpoint_id: str) -> CatalogEntry:
        entry = self._by_id.get(endpoint_id)
        if entry is None:
            raise not_found(f"endpoint {endpoint_id!r}")
        return entry

    def group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            raise not_found(f"group {group_id!r}")
        return group

    def children(self, group_id: str) -> list[Group]:
        return [self.groups[child] for child in self._children[group_id]]

    def subtree(self, group_id: str) -> set[str]:
        """The group and every group below it."""
        found, pending = set(), [group_id]
        while pending:
            current = pending.pop()
            if current not in found:
                found.add(current)
                pending.extend(self._children[current])
        return found

    def select(
        self, group_id: str | None = None, search: str | None = None, endpoint_id: str | None = None
    ) -> list[CatalogEntry]:
        """Entries in display order: in ``group_id`` or below, matching ``search`` (a
        case-insensitive substring of name, host or address), or the one ``endpoint_id``.
        An unknown group or endpoint is a 400: these are filters, not resources."""
        entries = self.entries
        if endpoint_id:
            if endpoint_id not in self._by_id:
                raise bad_request(f"endpointId={endpoint_id!r} is not a configured endpoint")
            entries = [self._by_id[endpoint_id]]
        if group_id:
            if group_id not in self.groups:
                raise bad_request(f"group={group_id!r} is not a configured group")
            wanted = self.subtree(group_id)
            entries = [entry for entry in entries if entry.group.id in wanted]
        if search:
            needle = search.lower()
            entries = [entry for entry in entries if needle in entry.search_text]
        return entries


def _live_encoded(body: dict[str, Any]) -> str:
    live = {key: body[key] for key in LIVE_ENDPOINT_KEYS}
    live["group"] = {key: body["group"][key] for key in LIVE_GROUP_KEYS}
    return json.dumps(live, separators=(",", ":"))


def _group_order(group: Group) -> tuple[int, str]:
    return group.sort_order, group.name


def current_catalog() -> Catalog:
    """The catalogue of the configuration running now, built on first use after each change."""
    config = current_pulse().config
    cached: Catalog | None = current_app.extensions.get(_EXTENSION_KEY)
    if cached is None or cached.config is not config:
        cached = Catalog(config)
        current_app.extensions[_EXTENSION_KEY] = cached
    return cached
