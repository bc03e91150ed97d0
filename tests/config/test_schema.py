"""Every rule of the file format (docs/configuration.md), good and bad."""

from __future__ import annotations

import pytest

from pulse_core.config.model import DefaultsSection, ServerSection

HEAD = "version: 1\ndefaults: {}\ngroups:\n  - {id: plant, name: Plant}\n"


def with_target(target: str) -> str:
    return HEAD + f"targets:\n  - {target}\n"


def with_groups(*groups: str) -> str:
    listed = "".join(f"  - {group}\n" for group in groups)
    target = "{type: icmp, group: plant, host: h}"
    return f"version: 1\ndefaults: {{}}\ngroups:\n{listed}targets:\n  - {target}\n"


# top level ------------------------------------------------------------------------------


def test_the_minimal_file_loads(load, minimal: str) -> None:
    config = load(minimal)
    assert [group.id for group in config.groups] == ["plant"]
    assert [endpoint.host for endpoint in config.endpoints] == ["10.0.0.5"]
    assert config.defaults == DefaultsSection()
    assert config.server == ServerSection()
    assert config.sections == {}


@pytest.mark.parametrize("key", ["version", "groups", "targets"])
def test_each_top_level_section_is_required(load_error, minimal: str, key: str) -> None:
    lines = minimal.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines)
    )
    text = "".join(lines[:start] + lines[end:])
    issues = load_error(text).issues
    assert [(issue.path, issue.message) for issue in issues if issue.path == key] == [
        (key, f"{key} is required")
    ]
    assert (issues[0].line, issues[0].column) == (1, 1)  # points at the mapping that lacks it


@pytest.mark.parametrize("version", ["2", "'1'", "one"])
def test_version_must_be_1(messages, minimal: str, version: str) -> None:
    assert messages(minimal.replace("version: 1", f"version: {version}")) == {
        "version": "must be 1"
    }


def test_unknown_top_level_keys_are_errors(load_error, minimal: str) -> None:
    [issue] = load_error(minimal + "alerting:\n  slack: {}\n").issues
    assert issue.message == "unknown key 'alerting': no installed plugin claims it"
    assert (issue.path, issue.line, issue.column) == ("alerting", 10, 1)


def test_a_misspelt_top_level_key_gets_a_suggestion(messages, minimal: str) -> None:
    assert messages(minimal + "sever: {port: 80}\n")["sever"] == (
        "unknown key 'sever': no installed plugin claims it; did you mean 'server'?"
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just text\n"])
def test_the_document_must_be_a_mapping(load_error, text: str) -> None:
    [issue] = load_error(text).issues
    assert (
        issue.message
        == "the configuration must be a mapping with version, defaults, groups and targets"
    )


@pytest.mark.parametrize("key", ["groups", "targets"])
def test_groups_and_targets_need_an_entry(messages, key: str) -> None:
    text = HEAD + "targets:\n  - {type: icmp, group: plant, host: h}\n"
    text = (
        text.replace("groups:\n  - {id: plant, name: Plant}", "groups: []")
        if key == "groups"
        else (HEAD + "targets: []\n")
    )
    assert messages(text)[key] == "must list at least 1 entry"


# defaults -------------------------------------------------------------------------------


def test_defaults_have_documented_values(load, minimal: str) -> None:
    defaults = load(minimal).defaults
    assert (defaults.interval_seconds, defaults.timeout_ms, defaults.retries) == (10, 1500, 1)
    assert (defaults.failure_threshold, defaults.success_threshold) == (2, 2)
    assert defaults.max_addresses_per_target == 4096


def test_defaults_may_be_left_out(load, minimal: str) -> None:
    assert "defaults: {}" in minimal
    without = load(minimal.replace("defaults: {}\n", ""))
    assert without.defaults == load(minimal).defaults
    assert without.probe_defaults["http"].user_agent == "Pulse"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("interval_seconds: 0", "must be at least 1"),
        ("timeout_ms: 99", "must be at least 100"),
        ("retries: -1", "must be at least 0"),
        ("failure_threshold: 0", "must be at least 1"),
        ("success_threshold: 0", "must be at least 1"),
        ("max_addresses_per_target: 0", "must be at least 1"),
        ("interval_seconds: often", "must be a whole number"),
    ],
)
def test_core_defaults_are_bounded(messages, minimal: str, setting: str, message: str) -> None:
    key = setting.split(":")[0]
    text = minimal.replace("defaults: {}", f"defaults:\n  {setting}")
    assert messages(text) == {f"defaults.{key}": message}


def test_probe_defaults_are_validated_by_the_probe(load, messages, minimal: str) -> None:
    text = minimal.replace("defaults: {}", "defaults:\n  http:\n    user_agent: PlantPulse/2")
    assert load(text).probe_defaults["http"].user_agent == "PlantPulse/2"
    bad = minimal.replace("defaults: {}", "defaults:\n  http:\n    useragent: x")
    assert messages(bad) == {
        "defaults.http.useragent": "unknown key 'useragent' in defaults.http; "
        "did you mean 'user_agent'?"
    }


def test_absent_probe_defaults_take_their_default_values(load, minimal: str) -> None:
    probe_defaults = load(minimal).probe_defaults
    assert set(probe_defaults) == {"http"}  # only the http probe has a defaults model
    assert probe_defaults["http"].user_agent == "Pulse"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("tcp", "the tcp probe takes no defaults: remove defaults.tcp"),
        ("snmp", "unknown key 'snmp': not a default and no installed probe has type 'snmp'"),
        (
            "timeout",
            "unknown key 'timeout': not a default and no installed probe has type 'timeout';"
            " did you mean 'timeout_ms'?",
        ),
    ],
)
def test_other_defaults_keys_are_errors(load_error, minimal: str, key: str, message: str) -> None:
    [issue] = load_error(minimal.replace("defaults: {}", f"defaults:\n  {key}: {{}}")).issues
    assert (issue.path, issue.message) == (f"defaults.{key}", message)
    assert (issue.line, issue.column) == (3, 3)


# groups ---------------------------------------------------------------------------------


def test_groups_keep_their_attributes_and_hierarchy(load) -> None:
    config = load(
        with_groups(
            "{id: plant, name: Plant, color: '#0a0', sort_order: 2}",
            "{id: line-1, name: Line 1, parent_id: plant, color: '#00AA00'}",
        )
    )
    plant, line = config.groups
    assert (plant.color, plant.sort_order, plant.parent_id) == ("#0a0", 2, None)
    assert (line.parent_id, line.color) == ("plant", "#00AA00")
    assert config.group("line-1") is line


@pytest.mark.parametrize(
    ("group", "path", "message"),
    [
        (
            "{id: Plant-A, name: x}",
            "groups[1].id",
            "must be 3 to 64 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit",
        ),
        (
            "{id: ab, name: x}",
            "groups[1].id",
            "must be 3 to 64 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit",
        ),
        (
            "{id: line-, name: x}",
            "groups[1].id",
            "must be 3 to 64 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit",
        ),
        ("{id: line}", "groups[1].name", "name is required"),
        ("{id: line, name: ''}", "groups[1].name", "must not be empty"),
        (
            "{id: line, name: x, color: green}",
            "groups[1].color",
            "must be a color like #0a0 or #00aa00",
        ),
        (
            "{id: line, name: x, color: '#12345'}",
            "groups[1].color",
            "must be a color like #0a0 or #00aa00",
        ),
        (
            "{id: line, name: x, sort_order: first}",
            "groups[1].sort_order",
            "must be a whole number",
        ),
        (
            "{id: line, name: x, colour: '#fff'}",
            "groups[1].colour",
            "unknown key 'colour'; did you mean 'color'?",
        ),
        ("{id: line, name: x, parent_id: hall}", "groups[1].parent_id", "no group has id 'hall'"),
        (
            "{id: line, name: x, parent_id: plnt}",
            "groups[1].parent_id",
            "no group has id 'plnt'; did you mean 'plant'?",
        ),
        (
            "{id: plant, name: Again}",
            "groups[1].id",
            "duplicate group id 'plant': groups[0] already uses it",
        ),
        (
            "{id: line, name: x, parent_id: line}",
            "groups[1].parent_id",
            "groups form a cycle: line → line; one of them must have another parent_id",
        ),
    ],
)
def test_bad_groups_are_reported(messages, group: str, path: str, message: str) -> None:
    assert messages(with_groups("{id: plant, name: Plant}", group)) == {path: message}


def test_a_group_cycle_is_reported_once_with_its_path(load_error) -> None:
    error = load_error(
        with_groups(
            "{id: plant, name: Plant}",
            "{id: hall-a, name: A, parent_id: hall-c}",
            "{id: hall-b, name: B, parent_id: hall-a}",
            "{id: hall-c, name: C, parent_id: hall-b}",
            "{id: cell, name: Cell, parent_id: hall-b}",
        )
    )
    [issue] = error.issues
    assert issue.path == "groups[1].parent_id"
    assert (
        issue.message == "groups form a cycle: hall-a → hall-c → hall-b → hall-a; "
        "one of them must have another parent_id"
    )
    assert (issue.line, issue.column, issue.value) == (5, 38, "hall-c")


# targets --------------------------------------------------------------------------------


def test_an_unknown_type_names_the_installed_types_and_the_distribution(load_error) -> None:
    [issue] = load_error(with_target("{type: snmp, group: plant, host: switch-1}")).issues
    assert issue.path == "targets[0].type"
    assert issue.message == (
        "unknown target type 'snmp' (installed: http, icmp, tcp); "
        "install the pulse-probe-snmp distribution to check snmp targets"
    )


def test_a_missing_group_is_a_validation_error_with_its_path(load_error) -> None:
    [issue] = load_error(with_target("{type: icmp, group: plnt, host: h}")).issues
    assert (issue.path, issue.line, issue.column, issue.value) == (
        "targets[0].group",
        6,
        25,
        "plnt",
    )
    assert (
        issue.message == "group 'plnt' is not defined: add it under groups; did you mean 'plant'?"
    )


def test_a_group_with_other_errors_still_counts_as_defined(messages) -> None:
    text = with_groups("{id: plant, name: Plant, color: red}")
    assert messages(text) == {"groups[0].color": "must be a color like #0a0 or #00aa00"}


@pytest.mark.parametrize(
    ("target", "path", "message"),
    [
        (
            "{type: icmp, group: plant}",
            "targets[0]",
            "a target needs one of host, cidr or wildcard",
        ),
        (
            "{type: icmp, group: plant, host: a, cidr: 10.0.0.0/30}",
            "targets[0]",
            "host and cidr are both given: a target takes only one of them",
        ),
        (
            "{type: icmp, group: plant, host: a, cidr: 10.0.0.0/30, wildcard: 10.0.0.*}",
            "targets[0]",
            "host and cidr and wildcard are all given: a target takes only one of them",
        ),
        ("{type: icmp, group: plant, host: ''}", "targets[0].host", "host must not be empty"),
        (
            "{type: tcp, group: plant, host: plc}",
            "targets[0].port",
            "port is required for tcp targets",
        ),
        ("{type: tcp, group: plant, host: plc, port: 0}", "targets[0].port", "must be at least 1"),
        (
            "{type: tcp, group: plant, host: plc, port: 65536}",
            "targets[0].port",
            "must be at most 65535",
        ),
        ("{group: plant, host: plc}", "targets[0].type", "type is required"),
        ("{type: icmp, host: plc}", "targets[0].group", "group is required"),
        (
            "{type: icmp, group: plant, host: plc, enabled: maybe}",
            "targets[0].enabled",
            "must be true or false",
        ),
        (
            "{type: icmp, group: plant, host: plc, name: no}",
            "targets[0].name",
            "must be text: put it in quotes (YAML reads yes, no, on and off as true/false)",
        ),
        (
            "{type: icmp, group: plant, host: plc, interval_seconds: 0}",
            "targets[0].interval_seconds",
            "must be at least 1",
        ),
        (
            "{type: icmp, group: plant, host: plc, expected_rtt_ms: 0}",
            "targets[0].expected_rtt_ms",
            "must be greater than 0",
        ),
        (
            "{type: icmp, group: plant, host: plc, http_path: /}",
            "targets[0].http_path",
            "unknown key 'http_path' for icmp targets",
        ),
        (
            "{type: http, group: plant, host: web, http_pth: /}",
            "targets[0].http_pth",
            "unknown key 'http_pth' for http targets; did you mean 'http_path'?",
        ),
        (
            "{type: icmp, group: plant, host: plc, payload_bytes: 9000}",
            "targets[0].payload_bytes",
            "must be at most 1472",
        ),
        (
            "{type: icmp, group: plant, cidr: 10.0.0.1/24}",
            "targets[0].cidr",
            "'10.0.0.1/24' has host bits set: write 10.0.0.0/24 for the whole network, "
            "or use host for a single address",
        ),
        (
            "{type: icmp, group: plant, wildcard: 10.0.*}",
            "targets[0].wildcard",
            "'10.0.*' is not a wildcard: write three IPv4 numbers and '*', like 10.0.0.*",
        ),
        ("- a list", "targets[0]", "must be a mapping of keys to values"),
    ],
)
def test_bad_targets_are_reported(messages, target: str, path: str, message: str) -> None:
    assert messages(with_target(target)) == {path: message}


def test_probe_options_are_validated_even_when_core_keys_fail(messages) -> None:
    text = with_target("{type: http, group: plant, host: web, port: 0, http_pth: /}")
    assert messages(text) == {
        "targets[0].port": "must be at least 1",
        "targets[0].http_pth": "unknown key 'http_pth' for http targets; did you mean 'http_path'?",
    }


# server and storage ---------------------------------------------------------------------


def test_server_settings(load, messages, minimal: str) -> None:
    text = minimal + "server:\n  host: 127.0.0.1\n  port: 9090\n"
    assert load(text).server == ServerSection(host="127.0.0.1", port=9090)
    assert messages(minimal + "server:\n  port: 0\n  tls: true\n") == {
        "server.port": "must be at least 1",
        "server.tls": "must be a mapping of keys to values",
    }


def test_storage_settings(load, messages, minimal: str) -> None:
    text = minimal + "storage:\n  url: postgresql://pulse@db/pulse\n  retention_days: 400\n"
    storage = load(text).storage
    assert (storage.url, storage.retention_days) == ("postgresql://pulse@db/pulse", 400)
    assert load(minimal).storage.retention_days == 60
    assert messages(minimal + "storage:\n  retention_days: 0\n") == {
        "storage.retention_days": "must be at least 1"
    }
