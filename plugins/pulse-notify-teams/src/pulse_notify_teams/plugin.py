"""Pulse's entry point into this distribution: registers the ``teams`` notifier."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.contract import Notifier, hookimpl
from pulse_notify_teams.notifier import TeamsNotifier


@hookimpl
def pulse_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    register(TeamsNotifier)
