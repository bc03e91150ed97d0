"""``${VAR}`` substitution: applied to parsed values, never to the YAML text."""

from __future__ import annotations

import pytest

from pulse_core.config import text_sha256
from pulse_core.config.env import references


def with_notes(minimal: str, notes: str) -> str:
    return minimal + f"    notes: {notes}\n"


@pytest.mark.parametrize(
    ("notes", "environ", "expected"),
    [
        ("${SITE}", {"SITE": "north"}, "north"),
        ("'${SITE} hall ${HALL}'", {"SITE": "north", "HALL": "3"}, "north hall 3"),
        ("${SITE:-south}", {}, "south"),
        ("${SITE:-south}", {"SITE": ""}, "south"),  # as in the shell, empty takes the default
        ("${SITE:-south}", {"SITE": "north"}, "north"),
        ("'${SITE}'", {"SITE": ""}, ""),
        ("${SITE:-}", {}, ""),
        ("costs $$5", {}, "costs $5"),
        ("'$$${SITE}'", {"SITE": "x"}, "$x"),
        ("a $ sign and $HOME", {"HOME": "/root"}, "a $ sign and $HOME"),
        ("${NESTED}", {"NESTED": "${SITE}", "SITE": "no"}, "${SITE}"),  # results are not rescanned
    ],
)
def test_references_are_replaced(
    load, minimal: str, notes: str, environ: dict, expected: str
) -> None:
    config = load(with_notes(minimal, notes), environ=environ)
    assert config.endpoints[0].notes == expected


def test_a_value_cannot_inject_yaml(load, minimal: str) -> None:
    hostile = "x\n    port: 1\n  - type: tcp\ngroups: []"
    config = load(with_notes(minimal, "${NOTE}"), environ={"NOTE": hostile})
    [endpoint] = config.endpoints
    assert endpoint.notes == hostile
    assert endpoint.port is None


def test_typed_keys_accept_substituted_text(load, minimal: str) -> None:
    text = minimal + "  - {type: tcp, group: plant, host: plc.local, port: '${PLC_PORT}'}\n"
    config = load(text, environ={"PLC_PORT": "502"})
    assert config.endpoints[1].port == 502


def test_mapping_keys_are_not_substituted(messages, minimal: str) -> None:
    text = minimal + "    ${EXTRA}: 1\n"
    assert messages(text, environ={"EXTRA": "notes"}) == {
        "targets[0].${EXTRA}": "unknown key '${EXTRA}' for icmp targets"
    }


def test_a_missing_variable_names_the_path_and_the_variable(load_error, minimal: str) -> None:
    [issue] = load_error(with_notes(minimal, "${SITE}")).issues
    assert issue.path == "targets[0].notes"
    assert issue.message == "environment variable SITE is not set: set it or write ${SITE:-default}"
    assert (issue.line, issue.column) == (10, 12)
    assert issue.value == "${SITE}"


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        ("'${1SITE}'", "'${1SITE}' is not a variable reference: write ${NAME} or ${NAME:-default}"),
        ("'${}'", "'${}' is not a variable reference: write ${NAME} or ${NAME:-default}"),
        ("'${SITE'", "'${' is not closed: write ${NAME}, or $$ for a literal '$'"),
    ],
)
def test_malformed_references_are_issues(messages, minimal: str, notes: str, message: str) -> None:
    assert messages(with_notes(minimal, notes), environ={"SITE": "x"}) == {
        "targets[0].notes": message
    }


def test_secrets_are_kept_out_of_the_source_text_and_of_issues(
    load, load_error, minimal: str
) -> None:
    text = minimal.replace(
        "defaults: {}", "defaults: {}\nstorage:\n  url: postgresql://pulse:${PG_PASSWORD}@db/pulse"
    )
    config = load(text, environ={"PG_PASSWORD": "s3cret"})
    assert config.storage.url == "postgresql://pulse:s3cret@db/pulse"
    # the text it names (the one kept as a version) is as written: "${PG_PASSWORD}"
    assert config.source_sha256 == text_sha256(text)

    bad = text.replace("url: postgresql", "retention_days: ${PG_PASSWORD}\n  url: postgresql")
    error = load_error(bad, environ={"PG_PASSWORD": "s3cret"})
    assert [issue.value for issue in error.issues] == ["${PG_PASSWORD}"]
    assert "s3cret" not in str(error) + repr(error.to_dict())


def test_references_are_read_as_substitution_reads_them() -> None:
    value = {
        "${KEY}": ["${A}", "$${B} $HOME ${1C} ${D", {"x": "${E:-e} and ${E} ${F:-}"}],
    }
    assert list(references(value)) == [
        (("${KEY}", 0), "A"),
        (("${KEY}", 2, "x"), "E"),
        (("${KEY}", 2, "x"), "E"),
        (("${KEY}", 2, "x"), "F"),
    ]
