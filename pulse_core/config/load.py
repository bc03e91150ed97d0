"""Assemble a :class:`PulseConfig` from YAML text, reporting every problem in one error.

The order matters only for what can be checked at all: YAML syntax first (nothing can be
read past it), then ``${VAR}`` substitution, then the core models of ``model.py``, then the
checks that need several sections at once (groups referenced by targets, probe types,
duplicate endpoints). A section that fails validation does not stop the others from being
checked, so a user fixes a whole file in one round.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from pulse_core.config.dependencies import DependentTargets, build_dependencies
from pulse_core.config.endpoints import build_endpoints
from pulse_core.config.env import substitute_env
from pulse_core.config.errors import ConfigError, ConfigIssue, IssueCollector, did_you_mean
from pulse_core.config.groups import build_groups, inherited_sites
from pulse_core.config.layout import latest_known, read_layout, remember
from pulse_core.config.limits import endpoints_ceiling
from pulse_core.config.model import (
    ConfigFile,
    DefaultsSection,
    GroupSection,
    PulseConfig,
    text_sha256,
)
from pulse_core.config.probe_defaults import check_probe_defaults
from pulse_core.config.reuse import Skeleton, skeleton
from pulse_core.config.storage import storage_url
from pulse_core.config.targets import check_targets
from pulse_core.config.tls import checked_tls_files
from pulse_core.config.validation import validate
from pulse_core.config.yaml_source import parse_yaml
from pulse_core.probe import Probe

if TYPE_CHECKING:
    from pulse_core.config.budget import Budget

ModelT = TypeVar("ModelT", bound=BaseModel)

CrossChecks = Callable[[PulseConfig, Callable[[tuple[str | int, ...], str], None]], None]
"""Checks across sections of a config that loaded cleanly; they report ``(path, message)``."""

CORE_KEYS = frozenset(ConfigFile.model_fields)


def load_config(
    text: str,
    *,
    probes: Mapping[str, type[Probe]],
    sections: Mapping[str, type[BaseModel]] = {},
    source_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cross_checks: CrossChecks | None = None,
    budget: Budget | None = None,
) -> PulseConfig:
    """Validate ``text`` and expand it into groups and endpoints.

    ``probes`` maps each installed target ``type`` to its probe class, ``sections`` each
    top-level section claimed by a plugin to its model. ``source_path`` names the file in
    messages and anchors a relative SQLite path; ``environ`` (default ``os.environ``)
    resolves ``${VAR}`` references; ``cross_checks`` (the plugins' ``pulse_check_config``)
    run last, on the loaded config; ``budget`` (see :mod:`pulse_core.config.budget`) stops
    a load that takes too long. The endpoint ceiling is read from ``environ`` (see
    :mod:`pulse_core.config.limits`). Raises :class:`ConfigError` listing every problem.

    The ``targets`` entries the text shares with the configuration loaded last (while that
    is in use) are not read again (:mod:`pulse_core.config.reuse`), and the layout of the
    text is kept for edits (:mod:`pulse_core.config.layout`).
    """
    clashing = CORE_KEYS.intersection(sections)
    if clashing:
        raise ValueError(f"plugin sections may not reuse core keys: {', '.join(sorted(clashing))}")
    source_name = str(source_path) if source_path is not None else "<config>"
    environ = os.environ if environ is None else environ
    try:
        max_endpoints = endpoints_ceiling(environ)
    except ValueError as error:
        raise ConfigError([ConfigIssue("", str(error))], source_name) from None
    known = latest_known(probes)
    shortcut = skeleton(text, *known) if known is not None else None
    options = _Options(
        probes, sections, source_path, source_name, environ, max_endpoints, cross_checks,
        budget,
    )
    if shortcut is not None:
        try:
            return _load(text, options, shortcut)
        except (ConfigError, _ReadAgain):
            pass  # the ordinary load reports every problem, each at its place
    return _load(text, options, None)


@dataclass(frozen=True)
class _Options:
    """What :func:`load_config` was asked to load the text with."""

    probes: Mapping[str, type[Probe]]
    sections: Mapping[str, type[BaseModel]]
    source_path: Path | None
    source_name: str
    environ: Mapping[str, str]
    max_endpoints: int
    cross_checks: CrossChecks | None
    budget: Budget | None


class _ReadAgain(Exception):
    """The shortcut of :mod:`pulse_core.config.reuse` cannot take this text: read it whole."""


def _load(text: str, options: _Options, shortcut: Skeleton | None) -> PulseConfig:
    """:func:`load_config`, reading ``shortcut`` (the text with the entries it shares with
    the configuration loaded before as placeholders) if given, else ``text``."""
    probes, sections, source_name = options.probes, options.sections, options.source_name
    environ, budget = options.environ, options.budget
    document = parse_yaml(
        shortcut.text if shortcut else text, source_name, budget, marked=("targets",),
        stand_ins=shortcut.stand_ins if shortcut else None,
    )
    if shortcut is not None and (document.issues or not shortcut.read_whole()):
        raise _ReadAgain
    issues = IssueCollector(document, document.issues)
    if not isinstance(document.value, dict):
        issues.add(
            (), "the configuration must be a mapping with version, defaults, groups and targets"
        )
        raise issues.error(source_name)

    values: dict[str, Any] = (
        substitute_env(document.value, environ, issues) if document.dollars else document.value
    )
    for key in values.keys() - CORE_KEYS - sections.keys():
        issues.add(
            (key,),
            f"unknown key '{key}': no installed plugin claims it"
            + did_you_mean(key, [*CORE_KEYS, *sections]),
            at_key=True,
        )
    core = {key: value for key, value in values.items() if key in CORE_KEYS}
    config_file = validate(ConfigFile, core, (), issues)

    raw_groups = _entries(core.get("groups"))
    raw_targets = _entries(core.get("targets"))
    if config_file is not None:
        defaults = config_file.defaults
        group_sections = list(enumerate(config_file.groups))
    else:  # errors are reported; keep what is valid so the checks below still run
        defaults = _valid_or_none(DefaultsSection, core.get("defaults")) or DefaultsSection()
        group_sections = _valid_entries(GroupSection, raw_groups)

    groups = build_groups(group_sections, issues)
    # Ids of entries that failed validation count too: one bad group key is one error, not
    # one more for every target filed under that group.
    group_ids = {
        entry["id"]
        for entry in raw_groups
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }
    probe_defaults = check_probe_defaults(core.get("defaults"), probes, issues)
    plugin_sections = {
        name: instance
        for name, model in sections.items()
        if name in values
        and (instance := validate(model, values[name], (name,), issues)) is not None
    }
    group_sites = inherited_sites(groups)
    if shortcut is not None and not shortcut.settle(raw_targets, group_ids, defaults, group_sites):
        raise _ReadAgain
    dependent = DependentTargets()
    checked = dependent.passing(check_targets(raw_targets, probes, group_ids, issues))
    endpoints = build_endpoints(
        checked, defaults, issues, options.max_endpoints, budget, group_sites
    )
    dependencies = build_dependencies(
        group_sections, raw_targets, dependent.kept, endpoints, issues
    )
    if issues.issues or config_file is None:
        raise issues.error(source_name)

    source_path = options.source_path
    config_dir = source_path.parent if source_path is not None else None
    server = checked_tls_files(config_file.server, config_dir, issues)
    if issues.issues:
        raise issues.error(source_name)
    url = storage_url(config_file.storage.url, environ, config_dir)
    config = PulseConfig(
        defaults=defaults,
        groups=groups,
        endpoints=endpoints,
        server=server,
        storage=config_file.storage.model_copy(update={"url": url}),
        probe_defaults=probe_defaults,
        sections=plugin_sections,
        source_sha256=text_sha256(text),
        source_path=source_path,
        cluster=config_file.cluster,
        dependencies=dependencies,
    )
    if options.cross_checks is not None:
        options.cross_checks(config, lambda path, message: issues.add(path, message))
        if issues.issues:
            raise issues.error(source_name)
    layout = read_layout(
        config, text, document, environ, shortcut.layout if shortcut else None,
        shortcut.position if shortcut else None,
    )
    if layout is not None:
        remember(config, layout, probes)
    return config


def load_config_file(
    path: str | Path,
    *,
    probes: Mapping[str, type[Probe]],
    sections: Mapping[str, type[BaseModel]] = {},
    environ: Mapping[str, str] | None = None,
    cross_checks: CrossChecks | None = None,
) -> PulseConfig:
    """:func:`load_config` on a UTF-8 file; a file that cannot be read is a :class:`ConfigError`."""
    source_path = Path(path)
    return load_config(
        read_config_text(source_path), probes=probes, sections=sections,
        source_path=source_path, environ=environ, cross_checks=cross_checks,
    )


def read_config_text(path: Path) -> str:
    """The text of a UTF-8 configuration file; a file that cannot be read is a
    :class:`ConfigError`, reported like the file's other problems. A function of its own
    for ``Pulse.create``, which needs the text beside the configuration (that does not keep
    it) to store it as a configuration version once started.

    The text is exactly the file's bytes, line endings included (no newline translation):
    Pulse tells whether the file still holds what it wrote by comparing the two, so a file
    with CRLF line endings must read back as it was written."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        issue = ConfigIssue("", f"cannot read the file: {reason}")
        raise ConfigError([issue], str(path)) from error


def _entries(value: Any) -> list[Any]:
    """The entries of a ``groups``/``targets`` list; anything else is reported by ConfigFile."""
    return value if isinstance(value, list) else []


def _valid_entries(model: type[ModelT], entries: list[Any]) -> list[tuple[int, ModelT]]:
    return [
        (index, instance)
        for index, entry in enumerate(entries)
        if (instance := _valid_or_none(model, entry)) is not None
    ]


def _valid_or_none(model: type[ModelT], data: Any) -> ModelT | None:
    """``model`` from ``data`` without reporting: its errors were reported by ``ConfigFile``."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None
