"""What a plugin's command reaches of Pulse without running it: :class:`InstalledPulse`.

``pulse`` hands it to every command a plugin registers (``pulse_register_commands``) as
``args.pulse``: the installed plugins and what they make of a configuration file. A command
reads the configuration, opens its store and sends through one of its notifiers as ``pulse``'s
own commands do, without knowing how Pulse loads plugins or builds a store.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from pulse_core.config.model import PulseConfig
from pulse_core.notifier import Notification, Receipt
from pulse_core.store import Store


class InstalledPulse(Protocol):
    """Pulse as installed, for a command of a plugin."""

    def read_config(self, path: Path) -> PulseConfig:
        """The configuration at ``path``, checked against the installed plugins as ``pulse
        check`` checks it. A configuration with errors raises the error ``pulse`` prints for
        its user (every problem with its line): let it pass, ``pulse`` exits with status 1."""

    def opened_store(self, config: PulseConfig) -> AbstractAsyncContextManager[Store]:
        """The store ``config`` names (``storage.url``), open for an ``async with`` block and
        closed after it; the whole store, as a maintenance command needs it."""

    async def deliver_once(
        self, config: PulseConfig, notifier: str, notification: Notification
    ) -> Receipt:
        """One attempt through the configured notifier ``notifier``, outside the outbox (as
        ``pulse notify test`` sends: a person waits for the answer), within ``alerting``'s
        ``delivery_timeout``. Raises the notifier's ``DeliveryError``, ``TimeoutError`` when
        it does not answer in time, ``LookupError`` when no notifier has that name."""
