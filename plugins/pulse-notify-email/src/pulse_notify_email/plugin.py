"""Pulse's entry point into this distribution: registers the ``email`` notifier."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Notifier, hookimpl
from pulse_notify_email.notifier import EmailNotifier


@hookimpl
def pulse_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    register(EmailNotifier)
