"""``targets``: the checks each entry must pass before it can become endpoints.

Core keys are validated by ``TargetSection``; the rest depends on the entry's ``type``: the
probe plugin registered for it owns the remaining keys (validated by its ``target_options``)
and says whether a ``port`` is required. Groups are looked up here so a missing one is a
validation error with its path rather than a crash later.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from pulse_core.config.errors import IssueCollector, Path, did_you_mean
from pulse_core.config.limits import KEY_MAX_CHARS
from pulse_core.config.model import TargetSection
from pulse_core.config.validation import validate
from pulse_core.models import Endpoint
from pulse_core.probe import Probe

ADDRESS_KEYS = ("host", "cidr", "wildcard")

#: the keys ``TargetSection`` validates; the others belong to the probe
_CORE_KEYS = frozenset(TargetSection.model_fields)
#: ``json.dumps(..., sort_keys=True, default=repr)``, its encoder made once
_OPTIONS_KEY = json.JSONEncoder(sort_keys=True, default=repr)


@dataclass(frozen=True)
class CheckedTarget:
    """A target that passed every check, ready to be expanded into endpoints."""

    index: int
    section: TargetSection
    probe: type[Probe]
    options: BaseModel
    #: which of ``host``, ``cidr`` or ``wildcard`` the target gives
    address_key: str

    @property
    def path(self) -> Path:
        return ("targets", self.index)


@dataclass(slots=True)
class UnchangedEntry:
    """A ``targets[]`` entry whose text is, byte for byte, that of an entry of a
    configuration loaded before: the YAML reader puts this in its place instead of reading
    it again, and its endpoints are that entry's, in the new document's context (see
    :mod:`pulse_core.config.reuse`)."""

    #: its index among the targets of the configuration loaded before
    previous: int
    #: ``text[start:end]`` is its text in the new document
    start: int
    end: int
    #: its endpoints, set once the new document's groups and defaults are known
    endpoints: tuple[Endpoint, ...] = ()


@dataclass(frozen=True)
class KeptTarget:
    """An :class:`UnchangedEntry` at its place in the new document: its endpoints passed
    every check when they were made, and the ones that depend on the rest of the document
    were made again (:func:`pulse_core.config.reuse.settle`)."""

    index: int
    endpoints: tuple[Endpoint, ...]

    @property
    def path(self) -> Path:
        return ("targets", self.index)


def check_targets(
    raw_targets: list[Any],
    probes: Mapping[str, type[Probe]],
    group_ids: Collection[str],
    issues: IssueCollector,
) -> Iterator[CheckedTarget | KeptTarget]:
    """Report what is wrong with each target; yield those with nothing wrong, one at a time,
    so that only one validated section exists at once.

    Besides ``TargetSection``'s own checks, the checks here run on the raw entry so that a
    bad ``port`` does not hide an unknown ``type`` in the same target.
    """
    # Targets that give the same options share one validated model: most give none, and a
    # model per endpoint cost about 450 bytes for the life of the configuration.
    validated: dict[tuple[type[Probe], str], BaseModel] = {}
    for index, raw in enumerate(raw_targets):
        if type(raw) is UnchangedEntry:
            yield KeptTarget(index, raw.endpoints)
            continue
        path: Path = ("targets", index)
        issue_count = len(issues.issues)
        section = validate(TargetSection, raw, path, issues)
        if not isinstance(raw, dict):
            continue
        probe = _check_type(raw.get("type"), path, probes, issues)
        _check_group(raw.get("group"), path, group_ids, issues)
        address_key = _check_address(raw, path, issues)
        options = None
        if probe is not None:
            if probe.port_required and raw.get("port") is None:
                issues.add((*path, "port"), f"port is required for {probe.type_name} targets")
            owned = {key: value for key, value in raw.items() if key not in _CORE_KEYS}
            key = (probe, _OPTIONS_KEY.encode(owned) if owned else "{}")
            options = validated.get(key)
            if options is None:
                options = validate(
                    probe.target_options, owned, path, issues,
                    owner=f" for {probe.type_name} targets",
                )
                if options is not None:
                    validated[key] = options
        if (
            len(issues.issues) == issue_count
            and section is not None
            and probe is not None
            and options is not None
            and address_key is not None
        ):
            yield CheckedTarget(index, section, probe, options, address_key)


def _check_type(
    type_name: Any, path: Path, probes: Mapping[str, type[Probe]], issues: IssueCollector
) -> type[Probe] | None:
    if not isinstance(type_name, str) or len(type_name) > KEY_MAX_CHARS:
        return None  # missing, not text or too long: reported by TargetSection
    probe = probes.get(type_name)
    if probe is None:
        installed = ", ".join(sorted(probes)) or "none"
        issues.add(
            (*path, "type"),
            f"unknown target type '{type_name}' (installed: {installed}); "
            f"install the pulse-probe-{type_name} distribution to check {type_name} targets",
        )
    return probe


def _check_group(
    group: Any, path: Path, group_ids: Collection[str], issues: IssueCollector
) -> None:
    if isinstance(group, str) and len(group) <= KEY_MAX_CHARS and group not in group_ids:
        issues.add(
            (*path, "group"),
            f"group '{group}' is not defined: add it under groups" + did_you_mean(group, group_ids),
        )


def _check_address(raw: Mapping[str, Any], path: Path, issues: IssueCollector) -> str | None:
    """The one address key the target gives, or ``None`` after reporting why there is not one."""
    given = [key for key in ADDRESS_KEYS if raw.get(key) is not None]
    if not given:
        issues.add(path, "a target needs one of host, cidr or wildcard")
        return None
    if len(given) > 1:
        both = "both" if len(given) == 2 else "all"
        issues.add(path, f"{' and '.join(given)} are {both} given: a target takes only one of them")
        return None
    key = given[0]
    if isinstance(raw[key], str) and not raw[key].strip():
        issues.add((*path, key), f"{key} must not be empty")
        return None
    return key
