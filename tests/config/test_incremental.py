"""Reloading only the targets a new text changes: the result is the whole load's, or nothing.

Every reload here is checked against :func:`load_config` of the same text (the endpoints,
in order, and the layout of the new text as read from scratch); every text the region
cannot decide alone must send the caller to the whole load (``None``).
"""

from __future__ import annotations

import pytest

from pulse_core.config import load_config
from pulse_core.config.editing import append_target, remove_target, update_target
from pulse_core.config.incremental import added_references, changed_region, reload_region
from pulse_core.config.layout import RunningText, TargetLayout, layout_of
from pulse_core.config.model import PulseConfig

from .conftest import PROBES

ENVIRON = {"HMI_HOST": "10.0.9.9", "PLC_NET": "10.0.2.0/30"}

RUNNING = """\
# Plant network
version: 1
defaults:
    interval_seconds: 10   # every ten seconds
groups:
    - id: plant
      name: Plant
    - id: office
      name: Office
targets:
    # the line 3 PLC
    - name: PLC 3
      type: tcp
      host: 10.0.0.5      # fixed address
      port: 502
      group: plant
    - {type: icmp, cidr: 10.0.1.0/30, group: plant}

    - type: icmp
      host: ${HMI_HOST}
      group: plant
    -
      # a dash on its own line
      type: http
      host: intranet.local
      http_path: /health
      group: office
    - {type: icmp, wildcard: "10.0.3.*", group: office}
server:
    port: 8080
"""


def load(text: str) -> PulseConfig:
    return load_config(text, probes=PROBES, environ=ENVIRON)


def running_layout(text: str = RUNNING) -> tuple[PulseConfig, TargetLayout]:
    config = load(text)
    layout = layout_of(config, text, ENVIRON)
    assert layout is not None
    return config, layout


def reload(text: str, new: str) -> tuple[PulseConfig, PulseConfig, TargetLayout] | None:
    """(the running configuration, the new one, its layout), or ``None``."""
    config, layout = running_layout(text)
    region = changed_region(layout, text, new)
    if region is None:
        return None
    reloaded = reload_region(config, layout, region, new, probes=PROBES, environ=ENVIRON)
    return None if reloaded is None else (config, reloaded.config, reloaded.layout)


def edited(change: str) -> str:
    config, layout = running_layout()
    running = RunningText(config, RUNNING, layout)
    if change == "append":
        text, _ = append_target(RUNNING, {"type": "tcp", "host": "10.0.0.6", "port": 80,
                                          "group": "office"}, running.located())
        return text
    if change == "rename":
        return update_target(RUNNING, 0, {"name": "PLC 3 (line 3)"}, running.located())
    if change == "readdress":
        return update_target(RUNNING, 2, {"host": "10.0.9.10"}, running.located())
    if change == "remove-first":
        return remove_target(RUNNING, 0, running.located())
    if change == "remove-range":
        return remove_target(RUNNING, 1, running.located())
    if change == "remove-last":
        return remove_target(RUNNING, 4, running.located())
    raise AssertionError(change)


TEXT_CHANGES = {
    "comment between entries": RUNNING.replace("\n\n    - type: icmp", "\n    # HMI\n    - type: icmp"),
    "two entries at once": RUNNING.replace("10.0.1.0/30", "10.0.1.0/29").replace(
        "/health", "/ready"
    ),
    "an entry inserted in the middle": RUNNING.replace(
        "    - type: icmp\n", "    - {type: tcp, host: 10.0.0.7, port: 22, group: plant}\n"
        "    - type: icmp\n"
    ),
    "a key added at the end of an entry": RUNNING.replace(
        "      http_path: /health\n", "      http_path: /health\n      notes: the intranet\n"
    ),
    "a key added after an entry's last": RUNNING.replace(
        "      group: office\n    - {type: icmp, wildcard",
        "      group: office\n      notes: the intranet\n    - {type: icmp, wildcard",
    ),
    "a range from the environment": RUNNING.replace("10.0.1.0/30", '"${PLC_NET}"'),
    "a block entry rewritten in flow style": RUNNING.replace(
        "    - name: PLC 3\n      type: tcp\n      host: 10.0.0.5      # fixed address\n"
        "      port: 502\n      group: plant\n",
        "    - {name: PLC 3, type: tcp, host: 10.0.0.5, port: 502, group: office}\n",
    ),
}


@pytest.mark.parametrize(
    "new",
    [*(edited(change) for change in (
        "append", "rename", "readdress", "remove-first", "remove-range", "remove-last"
    )), *TEXT_CHANGES.values()],
    ids=["append", "rename", "readdress", "remove-first", "remove-range", "remove-last",
         *TEXT_CHANGES],
)
def test_a_reload_of_changed_targets_is_the_whole_load(new: str) -> None:
    reloaded = reload(RUNNING, new)
    assert reloaded is not None
    running, config, layout = reloaded
    whole = load(new)
    assert config.endpoints == whole.endpoints
    assert config.source_sha256 == whole.source_sha256
    assert layout == layout_of(whole, new, ENVIRON)
    # the endpoints of the entries left alone are the running ones, the same objects
    kept = {endpoint.id: endpoint for endpoint in running.endpoints}
    assert sum(endpoint is kept.get(endpoint.id) for endpoint in config.endpoints) >= len(
        config.endpoints
    ) - 8


def test_edits_one_after_another_keep_the_layout_true() -> None:
    config, layout = running_layout()
    text = RUNNING
    for number in range(5):
        running = RunningText(config, text, layout)
        new, _ = append_target(text, {"type": "icmp", "host": f"10.0.5.{number}",
                                      "group": "plant"}, running.located())
        if number % 2:
            new = remove_target(new, 0)
        region = changed_region(layout, text, new)
        assert region is not None
        reloaded = reload_region(config, layout, region, new, probes=PROBES, environ=ENVIRON)
        assert reloaded is not None
        config, layout, text = reloaded.config, reloaded.layout, new
        assert config.endpoints == load(text).endpoints
        assert layout == layout_of(load(text), text, ENVIRON)


OUTSIDE = {
    "a group renamed": RUNNING.replace("name: Office", "name: Offices"),
    "a default changed": RUNNING.replace("interval_seconds: 10", "interval_seconds: 20"),
    "the key after the list": RUNNING.replace("port: 8080", "port: 8081"),
    "a comment above the list": RUNNING.replace("# the line 3 PLC\n    - name", "# PLC\n    - name"),
    "an entry dedented into the parent mapping": RUNNING.replace(
        "      group: office\n    - {type: icmp, wildcard",
        "  group: office\n    - {type: icmp, wildcard",
    ),
    "a block scalar keeping trailing lines": RUNNING.replace(
        "      port: 502\n", "      port: 502\n      notes: |+\n        kept\n"
    ),
}

INVALID = {
    "an unknown group": RUNNING.replace("group: office\n    - {type: icmp", "group: lab\n    - {type: icmp"),
    "a duplicate of an entry left alone": RUNNING.replace("10.0.0.5 ", "10.0.9.9 ").replace(
        "type: tcp", "type: icmp"
    ).replace("      port: 502\n", ""),
    "a syntax error": RUNNING.replace("/health", "[/health"),
    "a missing variable": RUNNING.replace("${HMI_HOST}", "${NOT_SET}"),
    "every target removed": RUNNING[: RUNNING.index("    # the line 3")] + "server:\n    port: 8080\n",
    "an alias": RUNNING.replace("group: office\n    - {type: icmp", "group: &o office\n    - {type: icmp"),
    "depends_on": RUNNING.replace("      http_path: /health\n",
                                  "      http_path: /health\n      depends_on: PLC 3\n"),
}


@pytest.mark.parametrize("new", [*OUTSIDE.values(), *INVALID.values()], ids=[*OUTSIDE, *INVALID])
def test_what_the_region_cannot_decide_goes_to_the_whole_load(new: str) -> None:
    assert reload(RUNNING, new) is None


def test_a_running_text_with_depends_on_is_always_loaded_whole() -> None:
    text = RUNNING.replace("      http_path: /health\n",
                           "      http_path: /health\n      depends_on: PLC 3\n")
    config, layout = running_layout(text)
    assert layout.entangled
    assert changed_region(layout, text, text.replace("name: PLC 3\n", "name: PLC 4\n")) is None


def test_a_new_reference_is_found_in_the_region() -> None:
    _, layout = running_layout()
    moved = RUNNING.replace("10.0.0.5 ", "${PLC_HOST} ")
    region = changed_region(layout, RUNNING, moved)
    assert region is not None and added_references(region, RUNNING, moved)
    kept = edited("rename")
    region = changed_region(layout, RUNNING, kept)
    assert region is not None and not added_references(region, RUNNING, kept)


def test_a_region_that_is_not_yaml_is_left_to_the_whole_check_of_references() -> None:
    _, layout = running_layout()
    broken = RUNNING.replace("/health", "[/health")
    region = changed_region(layout, RUNNING, broken)
    assert region is not None and added_references(region, RUNNING, broken)
