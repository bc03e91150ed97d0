"""The alerting part of a loaded configuration, checked across sections and ready to use.

Each section is validated on its own when the YAML loads; what needs several at once (an
``alerts`` rule naming a notifier, a window naming a group) is checked here, when the alert
engine takes the configuration, and reported as a :class:`ConfigError` with the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from pulse_core.alerting.outbound import OutboundPolicy, OutboundSection
from pulse_core.alerting.routing import Route, build_routes
from pulse_core.config.errors import ConfigError, ConfigIssue, did_you_mean
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
        entry = next(entry for entry in self.entries if entry.name == name)
        fallback = entry.fallback or self.settings.fallback
        return None if fallback == name else fallback

    def max_age_of(self, name: str) -> float:
        entry = next(entry for entry in self.entries if entry.name == name)
        return entry.max_age or self.settings.max_age


def make_notifier(
    entry: NotifierEntry, types: Mapping[str, type[Notifier]], outbound: OutboundPolicy
) -> Notifier:
    """The notifier an entry configures (not started)."""
    return types[entry.type_name](entry.name, entry.options, outbound)


def alerting_setup(config: PulseConfig) -> AlertingSetup:
    """The alerting of ``config``; raises :class:`ConfigError` for broken cross-references."""
    sections: Mapping[str, Any] = config.sections
    notifiers: NotifiersSection | None = sections.get("notifiers")
    entries = tuple(notifiers.entries) if notifiers is not None else ()
    alerts: AlertsSection | None = sections.get("alerts")
    maintenance: MaintenanceSection | None = sections.get("maintenance")
    settings: AlertingSection = sections.get("alerting") or AlertingSection()
    names = [entry.name for entry in entries]
    group_ids = [group.id for group in config.groups]
    issues: list[ConfigIssue] = []

    def check(path: str, value: str, known: Sequence[str], what: str) -> None:
        if value not in known:
            issues.append(
                ConfigIssue(
                    path,
                    f"no {what} is called '{value}'" + did_you_mean(value, known),
                    value,
                )
            )

    for index, rule in enumerate(alerts.root if alerts else ()):
        for position, name in enumerate(rule.notify):
            check(f"alerts[{index}].notify[{position}]", name, names, "notifier")
        for position, group_id in enumerate(rule.groups):
            check(f"alerts[{index}].groups[{position}]", group_id, group_ids, "group")
    for index, window in enumerate(maintenance.root if maintenance else ()):
        for position, group_id in enumerate(window.groups):
            check(
                f"maintenance[{index}].groups[{position}]", group_id, group_ids, "group"
            )
    for index, entry in enumerate(entries):
        if entry.fallback is not None:
            check(f"notifiers[{index}].fallback", entry.fallback, names, "notifier")
    if settings.fallback is not None:
        check("alerting.fallback", settings.fallback, names, "notifier")
    if issues:
        raise ConfigError(issues, str(config.source_path or "<config>"))
    return AlertingSetup(
        entries=entries,
        routes=build_routes(alerts.root if alerts else None, names, config.groups),
        calendar=MaintenanceCalendar.build(
            maintenance.root if maintenance else (), config.groups
        ),
        settings=settings,
        outbound=OutboundPolicy.from_section(sections.get("outbound")),
    )
