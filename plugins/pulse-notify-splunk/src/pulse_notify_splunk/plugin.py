"""Pulse's entry point into this distribution: registers the ``splunk`` notifier and feeds
every written batch of checks to the notifiers in ``mode: checks``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pulse_core import hookimpl
from pulse_core.models import CheckResult, Endpoint
from pulse_core.notifier import Notifier
from pulse_notify_splunk.notifier import SplunkNotifier

if TYPE_CHECKING:
    from pulse_core.app import Pulse


@hookimpl
def pulse_register_notifiers(register: Callable[[type[Notifier]], None]) -> None:
    register(SplunkNotifier)


@hookimpl
def pulse_checks_stored(app: Pulse, checks: Sequence[CheckResult]) -> None:
    def endpoint_of(endpoint_id: str) -> Endpoint | None:
        state = app.monitor.states.get(endpoint_id)
        return None if state is None else state.endpoint

    for notifier in app.alerts.notifiers.values():
        if isinstance(notifier, SplunkNotifier):
            notifier.take_checks(checks, endpoint_of)
