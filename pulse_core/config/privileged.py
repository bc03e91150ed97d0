"""Settings only an administrator may change: those that widen what Pulse may reach, or who
may reach Pulse and its data.

Editors apply configurations all day (targets, groups, alert rules), so the file they apply
must not be able to open the guard that restricts them: a notifier pointed at loopback or a
metadata service is refused by ``outbound`` only as long as an editor cannot rewrite
``outbound``. A change is judged by the validated sections, so reformatting one, or writing
out a default, is not a change.

``${VAR}`` references are the other way a file reaches past its editor: they read Pulse's
environment, where the database password and the notifiers' tokens are. An editor may keep
the references an administrator wrote, not add one, since a reference put in a name or a
notifier's URL would show or send the value; they are compared in the text, before any is
read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel

from pulse_core.config.env import references
from pulse_core.config.errors import Path, format_path
from pulse_core.config.model import PulseConfig
from pulse_core.config.yaml_source import parse_yaml

#: top-level section → what it controls, for the docs and for the refusal
ADMIN_ONLY_SECTIONS = {
    "outbound": "the networks and plain-http destinations notifiers may reach",
    "server": "the address Pulse listens on and the rate limits that slow down guessing",
    "storage": "the database Pulse connects to and how long history is kept",
    "metrics": "the token that keeps /api/metrics private",
    "notifiers": "where alerts go, with the tokens they carry",
    "cluster": "how the nodes of a cluster find each other and which site each serves",
}


class AdminRequired(Exception):
    """The configuration changes what only an admin may change; the caller is not an admin.

    ``details`` go into the refusal next to its message (``settings``, ``references``)."""

    def __init__(self, message: str, **details: Any) -> None:
        self.details = details
        super().__init__(message)


def sections_refused(sections: list[str]) -> AdminRequired:
    return AdminRequired(
        f"changing {', '.join(sections)} needs the admin role: these sections decide "
        "what Pulse may reach and who may reach it; leave them as they are running, or "
        "have an administrator apply the file",
        settings=sections,
    )


def references_refused(found: list[tuple[str, str]]) -> AdminRequired:
    """``found``: (path, variable) of each new reference. Names only: never a value."""
    where = "; ".join(f"{path} refers to ${{{variable}}}" for path, variable in found)
    return AdminRequired(
        f"{where}, which the running configuration does not have there: a reference reads "
        "Pulse's environment, where its secrets are, so an administrator must add it; keep "
        "the references as they are running, or have an administrator apply the file",
        references=[{"path": path, "variable": variable} for path, variable in found],
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
        raise sections_refused(changed)


def new_references(running_text: str, text: str) -> list[tuple[str, str]]:
    """The ``${VAR}`` references of ``text`` that ``running_text`` does not have there, as
    (path, variable), in the order written.

    A reference is known by its variable, the whole value it is written in (so
    ``https://${X}.example`` cannot become ``https://${X}.elsewhere.example``) and its place
    with list positions left out (``notifiers[].webhook.headers.Authorization``), and
    counted: entries may be added, removed and reordered around it (an endpoint deleted
    above it moves it up the list), but it may not go to another key, nor be copied to one
    more entry. Moving it to another entry of the same list reaches no further than
    changing that entry's other settings, which is the editor's to do. Both texts are
    parsed, none is validated: a text that is not YAML is the
    :class:`~pulse_core.config.ConfigError` the loader would raise.
    """
    running = _references_in(running_text)
    submitted = _references_in(text)
    allowed = Counter(_known_by(reference) for reference in running)
    used = Counter(_known_by(reference) for reference in submitted)
    return [
        (format_path(reference[0]), reference[1])
        for reference in submitted
        if reference not in running and used[_known_by(reference)] > allowed[_known_by(reference)]
    ]


def require_admin_for_references(running_text: str, text: str) -> None:
    """Raise :class:`AdminRequired` if ``text`` has a reference ``running_text`` has not."""
    found = new_references(running_text, text)
    if found:
        raise references_refused(found)


#: (path, variable, the value as written)
_Reference = tuple[Path, str, str]


def _references_in(text: str) -> dict[_Reference, None]:
    """Each reference once, in the order written (a set that keeps its order): a variable
    written twice in one value is one reference."""
    document = parse_yaml(text, "the YAML sent")
    return dict.fromkeys(
        (path, variable, document.value_at(path))
        for path, variable in references(document.value)
    )


def _known_by(reference: _Reference) -> _Reference:
    """``reference`` with every list position of its path the same (0), so that keys and
    positions cannot meet."""
    path, variable, written = reference
    return tuple(0 if isinstance(part, int) else part for part in path), variable, written


def _settings(config: PulseConfig, name: str) -> dict[str, Any]:
    """The section's settings that differ from their defaults; an absent section has none."""
    core = name in ("server", "storage", "cluster")
    section = getattr(config, name) if core else config.sections.get(name)
    if isinstance(section, BaseModel):
        return section.model_dump(exclude_defaults=True)
    return {} if section is None else {"value": section}
