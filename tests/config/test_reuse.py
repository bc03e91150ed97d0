"""A whole load that takes the targets entries it read before as they were: its result is the
ordinary load's in every case, errors included, line and column alike.

Each case loads a running text, then a new one; the new one is also loaded with probe
classes the running configuration was not made with, which the shortcut refuses: that is the
ordinary load to compare with.
"""

from __future__ import annotations

import pytest

from pulse_core.config import ConfigError, PulseConfig, load_config
from pulse_core.config.layout import layout_of

from .conftest import PROBES

ENVIRON = {"HMI_HOST": "10.0.9.9"}

RUNNING = """\
version: 1
defaults:
  interval_seconds: 10
  max_addresses_per_target: 16
groups:
  - id: plant
    name: Plant
    site: north
  - id: office
    name: Office
targets:
  # the line 3 PLC
  - name: PLC 3
    type: tcp
    host: 10.0.0.5      # fixed address
    port: 502
    group: plant
  - {type: icmp, cidr: 10.0.1.0/29, group: plant, name: Line}
  - type: icmp
    host: ${HMI_HOST}
    group: plant
  -
    # a dash on its own line
    type: http
    host: intranet.local
    http_path: /health
    group: office
    interval_seconds: 30
    site: south
  - type: icmp
    host: 10.0.0.8
    group: office
    notes: |
      line one
  - type: icmp
    host: 10.0.0.9
    group: office
server:
  port: 8080
"""

#: probe classes of the same types, not those the running configuration was made with
OTHER_PROBES = {name: type(probe.__name__, (probe,), {}) for name, probe in PROBES.items()}

CHANGES = {
    "a group renamed": RUNNING.replace("name: Office", "name: Offices"),
    "a default changed": RUNNING.replace("interval_seconds: 10", "interval_seconds: 20"),
    "a group's site changed": RUNNING.replace("site: north", "site: east"),
    "entries reordered": RUNNING.replace(
        "  - type: icmp\n    host: 10.0.0.9\n    group: office\n", ""
    ).replace("  # the line 3 PLC\n", "  # the line 3 PLC\n  - type: icmp\n    host: 10.0.0.9\n"
              "    group: office\n"),
    "the list indented further": RUNNING.replace(
        RUNNING[RUNNING.index("  # the line"):RUNNING.index("server:")],
        "".join(
            f"  {line}" for line in
            RUNNING[RUNNING.index("  # the line"):RUNNING.index("server:")].splitlines(True)
        ),
    ),
    "an entry continued after a comment line": RUNNING.replace(
        "    group: office\nserver:",
        "    group: office\n# a comment in the first column\n    notes: more\nserver:",
    ),
    "a block scalar given a line that looks like a comment": RUNNING.replace(
        "      line one\n", "      line one\n      # not a comment\n"
    ),
    "an entry's text inside a quoted group name": RUNNING.replace(
        "    name: Plant\n",
        '    name: "Plant\n  - type: icmp\n    host: 10.0.0.9\n    group: office\n  "\n',
    ),
    "a document start and end": "---\n" + RUNNING + "...\n",
}

ERRORS = {
    "a group removed": RUNNING.replace("  - id: office\n    name: Office\n", ""),
    "a range over the new limit": RUNNING.replace("max_addresses_per_target: 16", "max_addresses_per_target: 4"),
    "an entry copied": RUNNING.replace(
        "server:", "  - type: icmp\n    host: 10.0.0.9\n    group: office\nserver:"
    ),
    "a bad default beside unchanged entries": RUNNING.replace("interval_seconds: 10", "interval_seconds: 0"),
    "a syntax error after the list": RUNNING.replace("port: 8080", "port: [8080"),
    "an alias to an entry's value": RUNNING.replace("name: Office", "name: *office"),
}


def load(text: str, probes: dict = PROBES) -> PulseConfig:
    return load_config(text, probes=probes, environ=ENVIRON)


def outcome(text: str, probes: dict = PROBES) -> PulseConfig | list[str]:
    try:
        return load(text, probes)
    except ConfigError as error:
        return [str(error), *(repr(issue) for issue in error.issues)]


@pytest.mark.parametrize("new", [*CHANGES.values(), *ERRORS.values()], ids=[*CHANGES, *ERRORS])
def test_a_load_after_another_is_the_ordinary_load(new: str) -> None:
    ordinary = outcome(new, OTHER_PROBES)
    running = load(RUNNING)
    taken = outcome(new)
    if isinstance(ordinary, list):
        assert taken == ordinary
        return
    assert isinstance(taken, PulseConfig)
    assert taken == ordinary
    assert layout_of(taken, new) == layout_of(ordinary, new)
    del running


def test_unchanged_entries_keep_their_endpoints() -> None:
    running = load(RUNNING)
    renamed = load(CHANGES["a group renamed"])
    kept = [new is old for new, old in zip(renamed.endpoints, running.endpoints)]
    # all but the one whose host comes from the environment, which may have changed
    assert [endpoint.host for endpoint, same in zip(renamed.endpoints, kept) if not same] == [
        "10.0.9.9"
    ]
    # a changed default makes them again, with what stays of them shared
    slower = load(CHANGES["a default changed"].replace("Office", "Offices"))
    assert slower.endpoints == load(CHANGES["a default changed"], OTHER_PROBES).endpoints
    assert all(
        new.options is old.options
        for new, old in zip(slower.endpoints, renamed.endpoints)
        if new.host != "10.0.9.9"
    )
    assert [endpoint.interval_s for endpoint in slower.endpoints][:2] == [20.0, 20.0]


def test_a_file_with_crlf_line_endings_is_reused_too() -> None:
    running_text = RUNNING.replace("\n", "\r\n")
    renamed_text = CHANGES["a group renamed"].replace("\n", "\r\n")
    ordinary = load(renamed_text, OTHER_PROBES)
    running = load(running_text)
    renamed = load(renamed_text)
    assert renamed == ordinary
    assert renamed.endpoints[0] is running.endpoints[0]
