"""Every read of the running Pulse (and of Pulse's internals) that this plugin makes.

``pulse_core.contract`` does not yet export the store's reads, the configuration's catalogue,
the email notifiers' SMTP settings or the outbound policy; until it does, they are reached
here and only here, so that moving them to the public view changes this one module.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulse_core.app import build_store, load_plugins, open_config
from pulse_core.config import ConfigError
from pulse_core.contract import (
    Endpoint,
    Group,
    OutboundPolicy,
    OutboundRefused,
    Outage,
    PulseConfig,
    Resolution,
    Rollup,
    Store,
)

__all__ = [
    "ConfigError", "Outage", "PulseConfig", "Resolution", "Rollup", "SmtpSettings", "Store", "catalogue",
    "email_notifiers", "opened_store", "read_config", "reports_of",
]


@dataclass(frozen=True)
class SmtpSettings:
    """What sending through one email notifier needs: its server, login and sender, the TLS
    context its certificates make and the outbound policy's check of the server's address."""

    notifier: str
    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None
    sender: str
    tls_context: Callable[[], ssl.SSLContext]
    #: why the outbound policy refuses the server's address, or None when it may be reached
    refusal: Callable[[str, int], Awaitable[str | None]]


def catalogue(config: PulseConfig) -> tuple[Sequence[Group], Sequence[Endpoint]]:
    return config.groups, config.endpoints


def reports_of(config: PulseConfig) -> Any:
    """The ``reports`` section of ``config`` (a ReportsSection), or None."""
    return config.sections.get("reports")


def email_notifiers(config: PulseConfig) -> dict[str, SmtpSettings]:
    """The SMTP settings of each ``email`` entry of ``notifiers``, by notifier name."""
    notifiers = config.sections.get("notifiers")
    policy = OutboundPolicy.from_section(config.sections.get("outbound"))
    found: dict[str, SmtpSettings] = {}
    for entry in notifiers.root if notifiers is not None else ():
        if not hasattr(entry, "type_name") or entry.type_name != "email":
            continue
        options = entry.options
        found[entry.name] = SmtpSettings(
            entry.name, options.host, options.resolved_port, options.tls, options.starttls,
            options.username, options.password, options.sender,
            lambda options=options: policy.tls_context(options.ca_file),
            lambda host, port: _refusal(policy, host, port),
        )
    return found


async def _refusal(policy: OutboundPolicy, host: str, port: int) -> str | None:
    try:
        await policy.check_host(host, port)
    except OutboundRefused as refused:
        return str(refused)
    return None


def read_config(path: Path) -> PulseConfig:
    """The configuration at ``path``, checked against the installed plugins as ``pulse check``
    checks it (raises the core's ConfigError, whose text names every problem)."""
    return open_config(path, load_plugins())


@asynccontextmanager
async def opened_store(config: PulseConfig) -> AsyncIterator[Store]:
    """The store of ``config``, open, for a report made outside a running Pulse."""
    url = config.storage.url
    assert url is not None, "the config loader fills in the default storage URL"
    store = build_store(url, load_plugins())
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

