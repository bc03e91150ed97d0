"""Warnings for webhooks whose receiver a first-party dialect speaks to, when it is not installed.

A ``webhook:`` block pointed at ServiceNow or Jira works without the dialect's distribution,
as a generic webhook: each message is one new POST, so every reminder and the recovery open a
record of their own instead of updating the first. That is a configuration a user may want,
so ``pulse check`` and a dry run say which distribution would handle it, as a warning.
The URL patterns repeat those of the dialects: when a dialect is missing, so is its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pulse_core.alerting.config import NotifiersSection
from pulse_core.config.model import PulseConfig
from pulse_core.contract.webhooks import WebhookDialect


@dataclass(frozen=True)
class KnownDialect:
    name: str
    service: str
    distribution: str
    url: re.Pattern[str]
    #: what the dialect keeps one of per outage
    record: str


KNOWN_DIALECTS = (
    KnownDialect(
        "servicenow", "ServiceNow", "pulse-notify-servicenow",
        re.compile(r"/api/now/(v\d+/)?table/[^/]+/?$"), "incident",
    ),
    KnownDialect(
        "jira", "Jira", "pulse-notify-jira", re.compile(r"/rest/api/[23]/issue/?$"), "issue",
    ),
)


def missing_dialects(
    config: PulseConfig, installed: Mapping[str, WebhookDialect]
) -> list[str]:
    """One warning per ``webhook`` notifier of ``config`` left generic whose URL a known
    dialect that is not ``installed`` would speak to."""
    notifiers: NotifiersSection | None = config.sections.get("notifiers")
    warnings = []
    for index, entry in enumerate(notifiers.entries if notifiers is not None else ()):
        if entry.type_name != "webhook":
            continue
        options = entry.options.model_dump()
        url = str(options.get("url", ""))
        if options.get("dialect") != "auto" or any(d.matches(url) for d in installed.values()):
            continue
        for known in KNOWN_DIALECTS:
            if known.name not in installed and known.url.search(url):
                warnings.append(
                    f"notifiers[{index}] ({entry.name}): webhook.url looks like "
                    f"{known.service}'s, but the {known.name} dialect is not installed: every "
                    f"message is sent as a plain {options.get('method', 'POST')}, a new "
                    f"{known.record} each time; install {known.distribution} to update one "
                    f"{known.record} per outage"
                )
    return warnings
