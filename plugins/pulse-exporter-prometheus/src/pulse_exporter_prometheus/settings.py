"""The ``metrics:`` section of the YAML, claimed by this plugin."""

from __future__ import annotations

from pydantic import Field

from pulse_core.contract import Section


class MetricsSection(Section):
    """Open by default, because the documented scrape job carries no credentials.

    With ``token`` set (write it as ``${PULSE_METRICS_TOKEN}`` to keep it out of the file),
    ``/api/metrics`` answers only requests with ``Authorization: Bearer <token>``, which is
    what Prometheus sends for ``authorization: {credentials: ...}`` in a scrape config.
    """

    token: str | None = Field(
        None,
        min_length=16,
        description="bearer token scrapers must send; at least 16 characters; unset: open",
    )
