"""``defaults.<type>``: the sections of ``defaults`` that belong to probe plugins.

``defaults.http`` is validated by the http probe's ``defaults_options``. Any other key under
``defaults`` that is not a core default is reported, so a typo such as ``defaults.htpp`` is
not silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from pulse_core.config.errors import IssueCollector, did_you_mean
from pulse_core.config.model import DefaultsSection
from pulse_core.config.validation import validate
from pulse_core.probe import Probe


def check_probe_defaults(
    raw_defaults: Any, probes: Mapping[str, type[Probe]], issues: IssueCollector
) -> dict[str, BaseModel]:
    """A validated ``defaults.<type>`` for every probe that has them (absent: their defaults)."""
    given = raw_defaults if isinstance(raw_defaults, dict) else {}
    owned = {key: value for key, value in given.items() if key not in DefaultsSection.model_fields}
    models = {
        name: probe.defaults_options
        for name, probe in probes.items()
        if probe.defaults_options is not None
    }
    for key in owned:
        if key in models:
            continue
        if key in probes:
            message = f"the {key} probe takes no defaults: remove defaults.{key}"
        else:
            choices = [*DefaultsSection.model_fields, *models]
            message = (
                f"unknown key '{key}': not a default and no installed probe has type '{key}'"
                + did_you_mean(key, choices)
            )
        issues.add(("defaults", key), message, at_key=True)
    validated: dict[str, BaseModel] = {}
    for name, model in models.items():
        section = owned.get(name, {})
        instance = validate(
            model, section, ("defaults", name), issues, owner=f" in defaults.{name}"
        )
        if instance is not None:
            validated[name] = instance
    return validated
