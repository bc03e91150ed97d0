"""Which ``${VAR}`` references a file adds to the running one: what an editor may not do."""

from __future__ import annotations

import pytest

from pulse_core.config import ConfigError
from pulse_core.config.privileged import new_references

RUNNING = """\
notifiers:
  - name: ops
    webhook: {url: "https://ops.example/hook", headers: {Authorization: "Bearer ${TOKEN}"}}
targets:
  - {name: a, host: "${SITE:-a}.example"}
  - {name: b, host: b.example}
"""


@pytest.mark.parametrize(
    "text",
    [
        RUNNING,
        # entries added above and removed around a reference move it along its list
        RUNNING.replace("notifiers:\n", "notifiers:\n  - {name: pager}\n"),
        RUNNING.replace("  - {name: a", "  - {name: z, host: z.example}\n  - {name: a"),
        RUNNING.replace('  - {name: a, host: "${SITE:-a}.example"}\n', ""),
        # a literal $${X}
        RUNNING.replace("b.example", "'$${X}'"),
    ],
)
def test_references_kept_where_they_run_are_not_new(text: str) -> None:
    assert new_references(RUNNING, text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (RUNNING.replace("name: b,", "name: '${DB_PASSWORD}',"),
         [("targets[1].name", "DB_PASSWORD")]),
        (RUNNING.replace("ops.example", "${TOKEN}.example"),
         [("notifiers[0].webhook.url", "TOKEN")]),
        # a reference copied to one more entry, and one moved to another key
        (RUNNING.replace("b.example", "'${SITE}.example'"), [("targets[1].host", "SITE")]),
        (RUNNING.replace("headers: {", "headers: {X-Site: '${SITE}', "),
         [("notifiers[0].webhook.headers.X-Site", "SITE")]),
        # the value around a reference rewritten: it would send the variable elsewhere
        (RUNNING.replace("${SITE:-a}.example", "${SITE:-a}.attacker.example"),
         [("targets[0].host", "SITE")]),
        (RUNNING.replace("${SITE:-a}", "${SITE:-b}"), [("targets[0].host", "SITE")]),
        # an alias repeats its anchor's reference where it is used
        (
            RUNNING.replace('"Bearer ${TOKEN}"', '&t "Bearer ${TOKEN}"')
            .replace("name: b", "name: *t"),
            [("targets[1].name", "TOKEN")],
        ),
    ],
)
def test_new_references_are_named_by_path_and_variable(
    text: str, found: list[tuple[str, str]]
) -> None:
    assert new_references(RUNNING, text) == found


def test_a_text_that_is_not_yaml_is_the_loaders_error() -> None:
    with pytest.raises(ConfigError):
        new_references(RUNNING, "targets: [")
