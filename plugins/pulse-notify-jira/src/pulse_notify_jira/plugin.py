"""Pulse's entry point into this distribution: registers the ``jira`` webhook dialect."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import WebhookDialect, hookimpl
from pulse_notify_jira.dialect import JiraDialect


@hookimpl
def pulse_register_webhook_dialects(register: Callable[[WebhookDialect], None]) -> None:
    register(JiraDialect())
