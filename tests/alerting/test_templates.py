"""The Handlebars subset: the documented helpers, no escaping, no injection, errors at load time."""

from __future__ import annotations

import json

import pytest

from pulse_core.contract.templates import (
    TemplateError,
    TemplateTreeError,
    compile_template,
    compile_tree,
    render_tree,
)

OFFLINE = {
    "status": "offline",
    "endpoint": {"name": "PLC & <1>", "address": "10.0.0.5:502"},
}


def test_the_eq_helper_with_else() -> None:
    template = compile_template("{{#eq status 'offline'}}1{{else}}3{{/eq}}")
    assert template.render(OFFLINE) == "1"
    assert template.render({**OFFLINE, "status": "online"}) == "3"


def test_variables_are_not_html_escaped() -> None:
    assert compile_template("{{endpoint.name}} at {{endpoint.address}}").render(
        OFFLINE
    ) == ("PLC & <1> at 10.0.0.5:502")


def test_if_ne_and_missing_values() -> None:
    template = compile_template(
        '{{#if duration}}after {{duration}}{{else}}now{{/if}}{{#ne status "online"}}!{{/ne}}'
    )
    assert template.render({"status": "offline", "duration": ""}) == "now!"
    assert template.render({"status": "online", "duration": "4m 10s"}) == "after 4m 10s"


def test_values_containing_quotes_and_braces_stay_inside_their_string() -> None:
    compiled = compile_tree(
        {"text": "{{endpoint.name}}", "list": ["{{status}}", 2, True]}
    )
    hostile = {"status": "{{status}}\n", "endpoint": {"name": 'a"}, "x": {"'}}
    rendered = json.loads(json.dumps(render_tree(compiled, hostile)))
    assert rendered == {"text": 'a"}, "x": {"', "list": ["{{status}}\n", 2, True]}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{endpoint.nam}}", "unknown variable 'endpoint.nam'"),
        ("{{#eq status}}x{{/eq}}", "'#eq' at character 0 takes a variable and a value"),
        ("{{#eq status 'a'}}x", "needs '{{/eq}}' before the end"),
        ("{{#eq status 'a'}}x{{/if}}", "needs '{{/eq}}' before '{{/if}}'"),
        ("x{{/eq}}", "'{{/eq}}' outside a block"),
        ("{{status", "unclosed '{{' at character 0"),
        ("{{#each x}}{{/each}}", "unknown helper '#each'"),
    ],
)
def test_mistakes_are_reported(source: str, message: str) -> None:
    with pytest.raises(
        TemplateError, match=message.replace("(", r"\(").replace("{", r"\{")
    ):
        compile_template(source)


def test_a_tree_error_names_its_place() -> None:
    with pytest.raises(
        TemplateError, match=r"^fields\.priority\.name: unknown variable 'sattus'"
    ):
        compile_tree({"fields": {"priority": {"name": "{{sattus}}"}}})


def test_a_tree_error_names_every_bad_string() -> None:
    with pytest.raises(TemplateTreeError) as raised:
        compile_tree({"a": "{{x}}", "b": ["ok", "{{#if}}"], "c": {"d": "{{/eq}}"}})
    assert [problem.path for problem in raised.value.problems] == [("a",), ("b", 1), ("c", "d")]
    assert str(raised.value).splitlines()[1].startswith("b[1]: '#if' at character 0 takes")
