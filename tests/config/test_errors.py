"""What a rejected file reports: all problems at once, located, readable and JSON-ready."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulse_core.config import ConfigError, ConfigIssue, load_config_file, text_sha256

BROKEN = """\
version: 1
defaults:
  interval_seconds: 0
groups:
  - id: plant
    name: Plant
    color: green
targets:
  - {type: icmp, group: plant, host: 10.0.0.1}
  - {type: icmp, group: plant, host: 10.0.0.2}
  - {type: icmp, group: plant, host: 10.0.0.3}
  - type: tcp
    group: plant
    host: 10.0.0.4
  - type: snmp
    group: nowhere
    host: switch
"""


def test_every_problem_is_reported_in_file_order(load_error) -> None:
    error = load_error(BROKEN, source_path=Path("pulse.yaml"))
    assert [(issue.line, issue.column, issue.path) for issue in error.issues] == [
        (3, 21, "defaults.interval_seconds"),
        (7, 12, "groups[0].color"),
        (12, 5, "targets[3].port"),
        (15, 11, "targets[4].type"),
        (16, 12, "targets[4].group"),
    ]


def test_the_text_has_one_editor_friendly_line_per_issue(load_error) -> None:
    lines = str(load_error(BROKEN, source_path=Path("pulse.yaml"))).splitlines()
    assert lines[0] == "pulse.yaml is not a valid configuration: 5 errors"
    assert lines[3] == "pulse.yaml:12:5: targets[3].port: port is required for tcp targets"
    assert len(lines) == 6


def test_the_json_form_matches_the_api_contract(load_error) -> None:
    payload = json.loads(json.dumps(load_error(BROKEN).to_dict()))
    assert payload["message"] == "<config> is not a valid configuration: 5 errors"
    assert payload["errors"][1] == {
        "path": "groups[0].color",
        "message": "must be a color like #0a0 or #00aa00",
        "value": "green",
        "line": 7,
        "column": 12,
    }
    assert payload["errors"][2]["value"] is None  # a missing key has no value


def test_an_issue_without_a_position_prints_without_one() -> None:
    error = ConfigError(
        [ConfigIssue("", "cannot read the file: Permission denied")], "/etc/pulse.yaml"
    )
    assert str(error).splitlines() == [
        "/etc/pulse.yaml is not a valid configuration: 1 error",
        "/etc/pulse.yaml: cannot read the file: Permission denied",
    ]


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config_file(missing, probes={})
    assert (
        str(caught.value).splitlines()[1]
        == f"{missing}: cannot read the file: No such file or directory"
    )

    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"version: 1\n\xff\xfe")
    with pytest.raises(ConfigError) as caught:
        load_config_file(binary, probes={})
    assert caught.value.issues[0].message.startswith(
        "cannot read the file: 'utf-8' codec can't decode"
    )


def test_a_file_names_itself_in_messages(tmp_path: Path, probes, minimal: str) -> None:
    path = tmp_path / "pulse.yaml"
    path.write_text(minimal.replace("version: 1", "version: 2"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config_file(path, probes=probes, environ={})
    assert str(caught.value).splitlines()[1] == f"{path}:1:10: version: must be 1"
    path.write_text(minimal, encoding="utf-8")
    config = load_config_file(str(path), probes=probes, environ={})
    assert (config.source_path, config.source_sha256) == (path, text_sha256(minimal))
