"""Every read of the running Pulse (and of Pulse's internals) that this plugin makes.

``pulse_core.contract`` does not yet export reading a configuration file, opening its store
or building one notifier outside a running Pulse; until it does, they are reached
here and only here, so that moving them to the public view changes this one module.
``plugins`` is the plugin host the command line loaded already (``args.plugins``), so a
command loads the plugins once; without it a host is loaded here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pulse_core.app import build_store, load_plugins, open_config
from pulse_core.config import ConfigError
from pulse_core.contract import (
    Endpoint,
    Group,
    Notification,
    OutboundPolicy,
    Outage,
    PulseConfig,
    Receipt,
    ReportMessage,
    Resolution,
    Rollup,
    Store,
)

__all__ = [
    "ConfigError", "Outage", "PulseConfig", "Resolution", "Rollup", "Store", "catalogue",
    "email_notifiers", "opened_store", "read_config", "reports_of", "send_now",
]


def catalogue(config: PulseConfig) -> tuple[Sequence[Group], Sequence[Endpoint]]:
    return config.groups, config.endpoints


def reports_of(config: PulseConfig) -> Any:
    """The ``reports`` section of ``config`` (a ReportsSection), or None."""
    return config.sections.get("reports")


def email_notifiers(config: PulseConfig) -> list[Any]:
    """The ``email`` entries of ``notifiers``, in the order they are written."""
    notifiers = config.sections.get("notifiers")
    return [
        entry for entry in (notifiers.root if notifiers is not None else ())
        if getattr(entry, "type_name", None) == "email"
    ]


async def send_now(
    config: PulseConfig, notifier: str, report: ReportMessage, plugins: Any = None
) -> Receipt:
    """One attempt through the email notifier ``notifier``, outside the outbox, as ``pulse
    notify test`` sends (a person waits for the answer); raises the notifier's DeliveryError.
    ``plugins``: the host the caller loaded already (the command line's), else a new one."""
    entry = next(entry for entry in email_notifiers(config) if entry.name == notifier)
    policy = OutboundPolicy.from_section(config.sections.get("outbound"))
    notifier_class = (plugins or load_plugins()).registries.notifiers[entry.type_name]
    sender = notifier_class(entry.name, entry.options, policy)
    await sender.start()
    try:
        return await sender.deliver(Notification(uuid.uuid4().hex, "report", report.variables()))
    finally:
        await sender.close()


def read_config(path: Path, plugins: Any = None) -> PulseConfig:
    """The configuration at ``path``, checked against the installed plugins as ``pulse check``
    checks it (raises the core's ConfigError, whose text names every problem)."""
    return open_config(path, plugins or load_plugins())


@asynccontextmanager
async def opened_store(
    config: PulseConfig, plugins: Any = None
) -> AsyncIterator[Store]:
    """The store of ``config``, open, for a report made outside a running Pulse."""
    url = config.storage.url
    assert url is not None, "the config loader fills in the default storage URL"
    store = build_store(url, plugins or load_plugins())
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def store_of(app: Any) -> Store:
    store: Store = app.store
    return store


def config_of(app: Any) -> PulseConfig:
    config: PulseConfig = app.config
    return config


def pulse_in_request() -> Any:
    from quart import current_app

    return current_app.config["PULSE"]

