"""Pulse's entry point into this distribution: registers the ``splunk`` notifier and feeds
every written batch of checks to the notifiers in ``mode: checks``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pulse_core.contract import CheckResult, Notifier, PulseView, hookimpl
from pulse_notify_splunk.notifier import SplunkNotifier


@hookimpl
def pulse_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    register(SplunkNotifier)


@hookimpl
def pulse_checks_stored(app: PulseView, checks: Sequence[CheckResult]) -> None:
    for notifier in app.notifiers().values():
        if isinstance(notifier, SplunkNotifier):
            notifier.take_checks(checks, app.endpoint)
