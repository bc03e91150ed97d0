"""Notifier options as the API may show them: structure kept, secrets replaced by ``***``.

Secrets hide in three places: keys named like one (``token``, ``password``, ...: the
notifier's ``secret_keys``), HTTP headers (``Authorization``), and URLs (a Slack or Teams
webhook URL *is* the credential). Keys and headers are replaced whole; a URL keeps only its
scheme and host.
"""

from __future__ import annotations

from typing import Any

from pulse_core.contract.outbound import redact_url
from pulse_core.notifier import Notifier

MASK = "***"


def public_options(notifier: Notifier) -> Any:
    """``notifier``'s options, JSON-ready, without secrets."""
    dumped = notifier.options.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _redact(dumped, notifier.secret_keys)


def _redact(value: Any, secret_keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        shown: dict[str, Any] = {}
        for key, item in value.items():
            lowered = str(key).lower()
            if lowered in secret_keys or any(
                word in lowered for word in ("token", "password", "secret")
            ):
                shown[key] = MASK
            elif lowered == "headers" and isinstance(item, dict):
                shown[key] = {name: MASK for name in item}
            else:
                shown[key] = _redact(item, secret_keys)
        return shown
    if isinstance(value, list):
        return [_redact(item, secret_keys) for item in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return redact_url(value)
    return value
