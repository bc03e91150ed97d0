"""Settings only an administrator may change: those that widen what Pulse may reach, or who
may reach Pulse and its data.

Editors apply configurations all day (targets, groups, alert rules), so the file they apply
must not be able to open the guard that restricts them: a notifier pointed at loopback or a
metadata service is refused by ``outbound`` only as long as an editor cannot rewrite
``outbound``. A change is judged by the validated sections, so reformatting one, or writing
out a default, is not a change.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pulse_core.config.model import PulseConfig

#: top-level section → what it controls, for the docs and for the refusal
ADMIN_ONLY_SECTIONS = {
    "outbound": "the networks and plain-http destinations notifiers may reach",
    "server": "the address Pulse listens on and the rate limits that slow down guessing",
    "storage": "the database Pulse connects to and how long history is kept",
    "metrics": "the token that keeps /api/metrics private",
}


class AdminRequired(Exception):
    """The configuration changes admin-only ``sections``; the caller is not an admin."""

    def __init__(self, sections: list[str]) -> None:
        self.sections = sections
        super().__init__(
            f"changing {', '.join(sections)} needs the admin role: these sections decide "
            "what Pulse may reach and who may reach it; leave them as they are running, or "
            "have an administrator apply the file"
        )


def admin_only_changes(running: PulseConfig, new: PulseConfig) -> list[str]:
    """The admin-only sections whose settings differ between ``running`` and ``new``."""
    return [
        name for name in ADMIN_ONLY_SECTIONS
        if _settings(running, name) != _settings(new, name)
    ]


def require_admin_for(running: PulseConfig, new: PulseConfig) -> None:
    """Raise :class:`AdminRequired` if ``new`` changes an admin-only section."""
    changed = admin_only_changes(running, new)
    if changed:
        raise AdminRequired(changed)


def _settings(config: PulseConfig, name: str) -> dict[str, Any]:
    """The section's settings that differ from their defaults; an absent section has none."""
    section = getattr(config, name) if name in ("server", "storage") else config.sections.get(name)
    if isinstance(section, BaseModel):
        return section.model_dump(exclude_defaults=True)
    return {} if section is None else {"value": section}
