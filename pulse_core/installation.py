"""Pulse as installed, outside a running Pulse: :class:`Installation`, what ``pulse`` hands
its plugins' commands (:class:`pulse_core.contract.InstalledPulse`) and what ``pulse notify
test`` sends with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pulse_core.alerting.setup import alerting_setup, make_notifier
from pulse_core.app import build_store, open_config
from pulse_core.config.model import PulseConfig
from pulse_core.notifier import Notification, Receipt
from pulse_core.plugins import PluginHost
from pulse_core.store import Store


class Installation:
    """The configuration, store and notifiers the plugins of ``plugins`` make of a file."""

    def __init__(self, plugins: PluginHost) -> None:
        self.plugins = plugins

    def read_config(self, path: Path) -> PulseConfig:
        return open_config(path, self.plugins)

    @asynccontextmanager
    async def opened_store(self, config: PulseConfig) -> AsyncIterator[Store]:
        url = config.storage.url
        assert url is not None, "the config loader fills in the default storage URL"
        store = build_store(url, self.plugins)
        await store.open()
        try:
            yield store
        finally:
            await store.close()

    async def deliver_once(
        self, config: PulseConfig, notifier: str, notification: Notification
    ) -> Receipt:
        setup = alerting_setup(config)
        entry = next((entry for entry in setup.entries if entry.name == notifier), None)
        if entry is None:
            known = ", ".join(setup.names) or "none"
            raise LookupError(f"no notifier is called '{notifier}' (configured: {known})")
        sender = make_notifier(entry, self.plugins.registries.notifiers, setup.outbound)
        await sender.start()
        try:
            async with asyncio.timeout(setup.settings.delivery_timeout):
                return await sender.deliver(notification)
        finally:
            await sender.close()
