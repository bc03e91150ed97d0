"""The alerting part of a loaded configuration, checked across sections and ready to use.

Each section is validated on its own when the YAML loads; what needs several at once (an
``alerts`` rule naming a notifier, a window naming a group) is checked here, when the alert
engine takes the configuration, and reported as a :class:`ConfigError` with the path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulse_core.alerting.config import (
    AlertingSection,
    AlertsSection,
    MaintenanceSection,
    NotifierEntry,
    NotifiersSection,
)
from pulse_core.alerting.maintenance import MaintenanceCalendar
from pulse_core.contract.outbound import OutboundPolicy, OutboundSection
from pulse_core.alerting.routing import Route, build_routes
from pulse_core.config.errors import ConfigError, ConfigIssue, did_you_mean, format_path
from pulse_core.config.model import PulseConfig
from pulse_core.notifier import Notifier

SECTION_MODELS: dict[str, Any] = {
    "alerts": AlertsSection,
    "maintenance": MaintenanceSection,
    "alerting": AlertingSection,
    "outbound": OutboundSection,
}


@dataclass(frozen=True)
class AlertingSetup:
    entries: tuple[NotifierEntry, ...]
    routes: tuple[Route, ...]
    calendar: MaintenanceCalendar
    settings: AlertingSection
    outbound: OutboundPolicy

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def fallback_of(self, name: str) -> str | None:
        """Where what ``name`` cannot deliver goes (None for a notifier no longer configured,
        whose last deliveries may end while a new configuration is applied)."""
        entry = self._entry(name)
        if entry is None:
            return None
        fallback = entry.fallback or self.settings.fallback
        return None if fallback == name else fallback

    def max_age_of(self, name: str) -> float:
        entry = self._entry(name)
        return (entry and entry.max_age) or self.settings.max_age

    def concurrency_of(self, name: str) -> int:
        entry = self._entry(name)
        return (entry and entry.concurrency) or self.settings.concurrency

    def _entry(self, name: str) -> NotifierEntry | None:
        return next((entry for entry in self.entries if entry.name == name), None)


def make_notifier(
    entry: NotifierEntry, types: Mapping[str, type[Notifier]], outbound: OutboundPolicy
) -> Notifier:
    """The notifier an entry configures (not started)."""
    return types[entry.type_name](entry.name, entry.options, outbound)


Report = Callable[[tuple[str | int, ...], str], None]


@dataclass(frozen=True)
class _Sections:
    """The alerting sections of a config, absent ones as empty."""

    entries: tuple[NotifierEntry, ...]
    alerts: AlertsSection | None
    maintenance: MaintenanceSection | None
    settings: AlertingSection

    @classmethod
    def of(cls, config: PulseConfig) -> _Sections:
        sections: Mapping[str, Any] = config.sections
        notifiers: NotifiersSection | None = sections.get("notifiers")
        return cls(
            tuple(notifiers.entries) if notifiers is not None else (),
            sections.get("alerts"),
            sections.get("maintenance"),
            sections.get("alerting") or AlertingSection(),
        )

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]


def check_references(config: PulseConfig, report: Report) -> None:
    """Report every name one alerting section uses that another does not define."""
    found = _Sections.of(config)
    entries, alerts, maintenance, settings = (
        found.entries, found.alerts, found.maintenance, found.settings
    )
    names = found.names
    group_ids = [group.id for group in config.groups]

    def check(path: tuple[str | int, ...], value: str, known: Sequence[str], what: str) -> None:
        if value not in known:
            report(path, f"no {what} is called '{value}'" + did_you_mean(value, known))

    for index, rule in enumerate(alerts.root if alerts else ()):
        for position, name in enumerate(rule.notify):
            check(("alerts", index, "notify", position), name, names, "notifier")
        for position, group_id in enumerate(rule.groups):
            check(("alerts", index, "groups", position), group_id, group_ids, "group")
    for index, window in enumerate(maintenance.root if maintenance else ()):
        for position, group_id in enumerate(window.groups):
            check(("maintenance", index, "groups", position), group_id, group_ids, "group")
    for index, entry in enumerate(entries):
        if entry.fallback is not None:
            check(("notifiers", index, "fallback"), entry.fallback, names, "notifier")
    if settings.fallback is not None:
        check(("alerting", "fallback"), settings.fallback, names, "notifier")


def alerting_setup(config: PulseConfig) -> AlertingSetup:
    """The alerting of ``config``. Its cross-references were checked when it loaded (through
    ``pulse_check_config``); a config built without those checks is checked again here."""
    issues: list[ConfigIssue] = []
    check_references(
        config, lambda path, message: issues.append(ConfigIssue(format_path(path), message, None))
    )
    if issues:
        raise ConfigError(issues, str(config.source_path or "<config>"))
    found = _Sections.of(config)
    entries, alerts, maintenance, settings = (
        found.entries, found.alerts, found.maintenance, found.settings
    )
    names = found.names
    return AlertingSetup(
        entries=entries,
        routes=build_routes(alerts.root if alerts else None, names, config.groups),
        calendar=MaintenanceCalendar.build(
            maintenance.root if maintenance else (), config.groups
        ),
        settings=settings,
        outbound=OutboundPolicy.from_section(config.sections.get("outbound")),
    )
