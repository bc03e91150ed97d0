"""The latest check's details of each endpoint, kept small.

A probe's details arrive as a new dict at every check (``{"address": "127.0.5.1"}`` for a
tcp check, ``{"status": 200}`` for an http one) and are read one endpoint at a time, by
``GET /api/endpoints/{id}``. A tcp endpoint's details held 276 bytes kept as they came
from a probe worker (a dict and an address string); kept as pairs, a value that repeats
the endpoint's host as the host's own string, 92.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from typing import Any

from pulse_core.models import Endpoint

#: one pair ``(key, value)``, or a tuple of such pairs
_Kept = tuple[Any, ...]


class LatestDetails(Mapping[str, Mapping[str, Any]]):
    """Endpoint id -> the details of its latest check, for endpoints whose probe gave some.
    Reading an endpoint's gives a new dict."""

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def keep(self, endpoint: Endpoint, details: Mapping[str, Any]) -> None:
        """``details`` are ``endpoint``'s latest (none: it has none any more)."""
        if not details:
            self._kept.pop(endpoint.id, None)
            return
        host = endpoint.host
        pairs = tuple(
            (key, host if value == host else value) for key, value in details.items()
        )
        self._kept[endpoint.id] = pairs[0] if len(pairs) == 1 else pairs

    def only(self, endpoint_ids: Container[str]) -> None:
        """Forget the details of every endpoint not in ``endpoint_ids``."""
        self._kept = {
            endpoint_id: kept
            for endpoint_id, kept in self._kept.items()
            if endpoint_id in endpoint_ids
        }

    def __getitem__(self, endpoint_id: str) -> dict[str, Any]:
        kept = self._kept[endpoint_id]
        return dict([kept] if isinstance(kept[0], str) else kept)

    def __contains__(self, endpoint_id: object) -> bool:
        return endpoint_id in self._kept

    def __iter__(self) -> Iterator[str]:
        return iter(self._kept)

    def __len__(self) -> int:
        return len(self._kept)
