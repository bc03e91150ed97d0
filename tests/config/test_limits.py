"""Bounds on what a configuration may hold: lengths and characters, each error at its place."""

from __future__ import annotations

import pytest
from pulse_probe_http.probe import HttpProbe

from pulse_core.app import load_plugins
from pulse_core.config.limits import NAME_MAX_CHARS, TEXT_MAX_CHARS

HEAD = """\
version: 1
defaults: {}
groups: [{id: plant, name: Plant}]
targets:
"""


@pytest.mark.parametrize(
    ("target", "path", "message"),
    [
        ("{type: icmp, group: plant, host: 10.0.0.5, name: '" + "n" * 201 + "'}",
         "targets[0].name", "must be at most 200 characters"),
        ('{type: icmp, group: plant, host: 10.0.0.5, name: "PLC\\x1b[31m"}',
         "targets[0].name",
         "must not contain control characters (U+001B): write plain text on one line"),
        ('{type: icmp, group: plant, host: "10.0.0.5\\0"}', "targets[0].host",
         "must be an IP address or a host name (letters, digits, '-' and '_' between dots, "
         "63 at most between two dots)"),
        ("{type: icmp, group: plant, host: 'plc 7.plant'}", "targets[0].host",
         "must be an IP address or a host name (letters, digits, '-' and '_' between dots, "
         "63 at most between two dots)"),
        ("{type: icmp, group: plant, host: " + "a" * 254 + "}", "targets[0].host",
         "must be at most 253 characters"),
        ("{type: icmp, group: plant, host: a, notes: '" + "n" * 2001 + "'}",
         "targets[0].notes", "must be at most 2,000 characters"),
        ("{type: '" + "t" * 65 + "', group: plant, host: a}", "targets[0].type",
         "must be at most 64 characters"),
    ],
)
def test_target_texts_are_bounded(load_error, target: str, path: str, message: str) -> None:
    [issue] = load_error(HEAD + f"  - {target}\n").issues
    assert (issue.path, issue.message, issue.line) == (path, message, 5)


def test_good_names_hosts_and_notes_load(load) -> None:
    config = load(HEAD + (
        "  - {type: icmp, group: plant, host: plc-7_a.plant.example., name: Presse 7 – Halle B}\n"
        "  - {type: icmp, group: plant, host: 'fe80::1%eth0', notes: \"line one\\n\\tline two\"}\n"
    ))
    assert [endpoint.name for endpoint in config.endpoints] == ["Presse 7 – Halle B", "ICMP fe80::1%eth0"]


def test_a_refused_value_is_shown_cut(load_error) -> None:
    [issue] = load_error(HEAD + "  - {type: icmp, group: plant, host: a, name: '" + "n" * 5000 + "'}\n").issues
    assert issue.value == "n" * 200 + "… (5,000 characters)"


def test_over_long_scalars_and_keys_are_errors_where_written(load_error) -> None:
    text = HEAD + "  - {type: icmp, group: plant, host: a, notes: '" + "n" * (TEXT_MAX_CHARS + 1) + "'}\n"
    text += "  - {type: icmp, group: plant, host: b, " + "k" * (NAME_MAX_CHARS + 1) + ": 1}\n"
    issues = load_error(text).issues
    assert [(issue.line, issue.message) for issue in issues[:1]] == [
        (5, f"a value may be at most {TEXT_MAX_CHARS:,} characters; this one has 65,537")
    ]
    long_key = [issue for issue in issues if issue.message.startswith("a key may be")]
    assert [(issue.path, issue.line) for issue in long_key] == [("targets[1]", 6)]
    assert all(len(issue.message) < 600 for issue in issues)


@pytest.mark.parametrize(
    ("options", "path", "message"),
    [
        ("http_path: '/" + "p" * 2048 + "'", "targets[0].http_path", "must be at most 2,048 characters"),
        ("http_match: '" + "m" * 1001 + "'", "targets[0].http_match", "must be at most 1,000 characters"),
        ('headers: {X-Token: "a\\0b"}', "targets[0].headers[0][1]",
         "must not contain control characters (U+0000): write plain text on one line"),
    ],
)
def test_http_paths_match_texts_and_headers_are_bounded(
    load_error, options: str, path: str, message: str
) -> None:
    probes = {"http": HttpProbe}
    text = HEAD + f"  - {{type: http, group: plant, host: a, {options}}}\n"
    [issue] = load_error(text, probes=probes).issues
    assert (issue.path, issue.message) == (path, message)


def test_notifier_names_are_bounded(load_error) -> None:
    plugins = load_plugins()
    text = HEAD + "  - {type: icmp, group: plant, host: a}\nnotifiers:\n" + (
        "  - {name: '" + "n" * 201 + "', webhook: {url: 'https://example.invalid/x'}}\n"
    )
    issues = load_error(
        text, probes=plugins.registries.probes, sections=plugins.registries.config_sections
    ).issues
    assert [(issue.path, issue.message) for issue in issues] == [
        ("notifiers[0].name", "must be at most 200 characters")
    ]


def test_an_empty_group_name_is_still_called_empty(load_error) -> None:
    text = HEAD.replace("name: Plant", "name: ''") + "  - {type: icmp, group: plant, host: a}\n"
    [issue] = load_error(text).issues
    assert (issue.path, issue.message) == ("groups[0].name", "must not be empty")
