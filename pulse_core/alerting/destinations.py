"""Warnings for the notifier destinations a configuration's outbound policy will refuse.

The policy is applied when a notification is sent, which for a configuration just applied
may be days later; a ``pulse check`` or a dry run says at once which notifiers could never
deliver. Every ``http(s)://`` URL among a notifier's options is checked the way a delivery
checks it: names are resolved, and a name that does not resolve now is not reported (it may
resolve where and when Pulse sends).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from pulse_core.alerting.config import NotifiersSection
from pulse_core.contract.outbound import OutboundPolicy, OutboundRefused
from pulse_core.config.errors import format_path
from pulse_core.config.model import PulseConfig
from pulse_core.notifier import DeliveryError

#: how long the names of all destinations may take to resolve, together
RESOLVE_SECONDS = 5.0


async def refused_destinations(config: PulseConfig) -> list[str]:
    """One warning per notifier URL the outbound policy of ``config`` refuses, naming the
    notifier, the key and why, in the order of the file."""
    policy = OutboundPolicy.from_section(config.sections.get("outbound"))
    notifiers: NotifiersSection | None = config.sections.get("notifiers")
    found = [
        (f"notifiers[{index}] ({entry.name}): {entry.type_name}.{format_path(path)}", url)
        for index, entry in enumerate(notifiers.entries if notifiers is not None else ())
        for path, url in _urls(entry.options.model_dump(mode="json", by_alias=True), ())
    ]
    reasons = await asyncio.gather(*(_refusal(policy, url) for _, url in found))
    return [
        f"{place}: {reason}; this notifier cannot deliver"
        for (place, _), reason in zip(found, reasons)
        if reason is not None
    ]


async def _refusal(policy: OutboundPolicy, url: str) -> str | None:
    try:
        await asyncio.wait_for(policy.check_url(url), RESOLVE_SECONDS)
    except OutboundRefused as refused:
        return str(refused)
    except (DeliveryError, TimeoutError):
        return None  # not resolvable from here, now: a delivery will tell
    return None


def _urls(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every ``http://`` or ``https://`` text in ``value``, with where it is."""
    if isinstance(value, str):
        if value.lower().startswith(("http://", "https://")):
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _urls(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _urls(item, (*path, index))
