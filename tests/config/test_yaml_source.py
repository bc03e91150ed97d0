"""Reading YAML: plain values, positions of every path, and what YAML itself gets wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse_core.config import ConfigError
from pulse_core.config.yaml_source import MAX_DEPTH, MAX_VALUES, parse_yaml


def test_values_are_plain_json_like_data() -> None:
    document = parse_yaml(
        "when: 2024-05-01\non: yes\nratio: 0.5\nnothing: ~\nlist: [1, two]\n", "t"
    )
    assert document.value == {
        "when": "2024-05-01",  # a date stays text
        "on": True,  # the key stays the word written; the value is YAML's boolean
        "ratio": 0.5,
        "nothing": None,
        "list": [1, "two"],
    }
    assert document.issues == []


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    text = "base: &base {retries: 3, timeout_ms: 500}\ntarget:\n  <<: *base\n  retries: 5\n"
    assert parse_yaml(text, "t").value["target"] == {"retries": 5, "timeout_ms": 500}


def test_locate_finds_values_keys_and_the_parent_of_a_missing_key() -> None:
    document = parse_yaml("top:\n  items:\n    - name: a\n      port: 80\n", "t")
    assert document.locate(("top", "items", 0, "port")) == (4, 13)
    assert document.locate(("top", "items", 0, "port"), True) == (4, 7)
    assert document.locate(("top", "items", 0, "host")) == (3, 7)  # the mapping that lacks it
    assert document.locate(()) == (1, 1)


def test_duplicate_keys_are_reported_at_the_second_occurrence() -> None:
    document = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "t")
    [issue] = document.issues
    assert (issue.path, issue.line, issue.column) == ("b.c", 4, 3)
    assert issue.message == "duplicate key 'c': already given on line 3; keep one"


def test_duplicate_keys_in_a_configuration_are_errors(load_error, minimal: str) -> None:
    text = minimal.replace("    host: 10.0.0.5\n", "    host: 10.0.0.5\n    host: 10.0.0.6\n")
    [issue] = load_error(text).issues
    assert (issue.path, issue.line, issue.column) == ("targets[0].host", 10, 5)
    assert issue.message == "duplicate key 'host': already given on line 9; keep one"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("version: 1\ngroups: [a, b\n", 3, 1, "did not find expected ',' or ']'"),
        ("version: 1\ndefaults: a: b\n", 2, 12, "mapping values are not allowed"),
        ("version: 1\n  defaults: {}\n", 2, 11, "mapping values are not allowed"),
        ("a: 1\n---\nb: 2\n", 2, 1, "but found another document"),
    ],
)
def test_syntax_errors_carry_their_position(
    load_error, text: str, line: int, column: int, message: str
) -> None:
    [issue] = load_error(text).issues
    assert (issue.line, issue.column) == (line, column)
    assert issue.message.startswith("invalid YAML: ")
    assert message in issue.message


def test_a_forbidden_character_is_located(load_error) -> None:
    [issue] = load_error("version: 1\nnotes: a\x07b\n").issues
    assert (issue.line, issue.column) == (2, 9)
    assert issue.message == "invalid YAML: character #x0007 is not allowed; remove it"


def test_custom_tags_are_refused() -> None:
    document = parse_yaml("password: !vault abc\nblob: !!binary aGk=\n", "t")
    assert {issue.path: issue.message for issue in document.issues} == {
        "password": "unsupported YAML tag '!vault': write a plain value",
        "blob": "unsupported YAML tag '!!binary': write a plain value",
    }


def test_alias_bombs_stop_early() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ConfigError) as caught:
        parse_yaml("\n".join(lines), "bomb.yaml")
    [issue] = caught.value.issues
    assert issue.message == (
        f"the document has more than {MAX_VALUES:,} values (mappings, lists and scalars, "
        "each alias counted as the values it repeats), the most a configuration may hold: "
        "write fewer (a cidr target instead of one target per address, say)"
    )
    assert issue.line == 6  # l5, the first list of over a million values


def test_a_large_file_without_aliases_is_not_blamed_on_aliases() -> None:
    text = "values:\n" + "".join(f"  - {i}\n" for i in range(MAX_VALUES))
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "big.yaml")
    [issue] = caught.value.issues
    assert "alias" not in issue.message
    assert issue.message.startswith(f"the document has more than {MAX_VALUES:,} values")
    assert (issue.line, issue.column) == (MAX_VALUES, 5)  # root and list count too


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("".join("  " * i + "a:\n" for i in range(500)) + "  " * 500 + "b: 1\n",
         MAX_DEPTH + 1, 2 * MAX_DEPTH + 1),
        ("a: " + "[" * 500 + "]" * 500 + "\n", 1, 3 + MAX_DEPTH),
    ],
)
def test_deep_nesting_is_an_error_with_its_line(text: str, line: int, column: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "deep.yaml")
    [issue] = caught.value.issues
    assert issue.message == (
        f"mappings and lists are nested deeper than {MAX_DEPTH} levels here; "
        "a configuration needs far fewer: flatten it"
    )
    assert (issue.line, issue.column) == (line, column)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n"
    value = parse_yaml(text, "t").value["a"]
    for _ in range(MAX_DEPTH - 2):
        value = value[0]
    assert value == [1]


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2.5, -3, 0x10, true, no, ~, '', 'yes', \"x\"]\n",
        "base: &b {x: 1, y: 2}\nmore: &m {y: 3, z: 4}\nboth:\n  <<: [*b, *m]\n  z: 5\n",
        "base: &b {x: 1}\nuse:\n  <<: *b\n  <<: {x: 2, w: 0}\n",
        "list: &l [a, b]\ncopies: [*l, *l]\nnested: {deep: {er: [1, {k: v}]}}\n",
        "? plain\n: value\n'<<': quoted merge key stays text\n",
        "!!str 1: !!int '7'\nf: !!float 1\nm: !!map {a: 1}\ns: !!seq [1]\n",
    ],
)
def test_values_match_pyyaml_safe_load(text: str) -> None:
    import yaml

    document = parse_yaml(text, "t")
    assert document.issues == []
    assert document.value == yaml.safe_load(text)


def test_a_merge_of_something_else_than_mappings_is_reported() -> None:
    document = parse_yaml("a:\n  <<: 5\n  b: 1\nc:\n  <<: [{x: 1}, [2]]\n", "t")
    assert [(issue.path, issue.message, issue.line) for issue in document.issues] == [
        ("a", "invalid merge key: expected a mapping or list of mappings for merging, "
         "but found scalar", 2),
        ("c", "invalid merge key: expected a mapping for merging, but found sequence", 5),
    ]
    assert document.value == {"a": {"b": 1}, "c": {}}


def test_a_merged_key_is_located_where_it_was_written() -> None:
    document = parse_yaml("base: &b\n  port: 80\ntarget:\n  <<: *b\n", "t")
    assert document.locate(("target", "port")) == (2, 9)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: *nowhere\n", "invalid YAML: found undefined alias 'nowhere'", 1),
        ("a: &x [1, *x]\n", "invalid YAML: found an alias to an anchor that contains it", 1),
        ("a: &x 1\nb: &x 2\n", "invalid YAML: found duplicate anchor 'x'; first occurrence "
         "(line 1), second occurrence", 2),
    ],
)
def test_alias_mistakes_are_syntax_errors(text: str, message: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "t")
    [issue] = caught.value.issues
    assert (issue.message, issue.line) == (message, line)


def test_a_non_plain_key_is_reported_and_the_rest_still_read() -> None:
    document = parse_yaml("? [a, b]\n: 1\nc: 2\n", "t")
    [issue] = document.issues
    assert issue.message == "a mapping key must be a plain word, not a list or mapping"
    assert (issue.line, issue.column) == (1, 3)
    assert document.value == {"c": 2}


def test_a_clean_document_is_read_without_composing_its_node_tree() -> None:
    """The node tree costs kilobytes per target for the life of the process (docs/performance.md);
    it is built only to locate an issue."""
    document = parse_yaml("targets:\n  - {host: a}\n  - {host: b}\n", "t")
    assert document._root is None
    assert document.locate(("targets", 1, "host")) == (3, 12)


def test_equal_texts_and_ints_are_one_object_and_other_types_stay_apart() -> None:
    """20,000 targets keep their values for the life of the process: one ``8080`` for all of
    them, not one each; ``1``, ``true``, ``1.0`` and ``"1"`` are equal-ish but stay distinct."""
    value = parse_yaml(
        "a: {port: 8080, tag: web}\nb: {port: 0x1F90, tag: web}\n"
        "same: [1, true, 1.0, '1', 1, 0.0, -0.0]\n", "t"
    ).value
    assert value["a"]["port"] is value["b"]["port"] == 8080
    assert value["a"]["tag"] is value["b"]["tag"]
    assert value["same"] == [1, True, 1.0, "1", 1, 0.0, -0.0]
    assert [type(item) for item in value["same"]] == [int, bool, float, str, int, float, float]
    assert str(value["same"][6]) == "-0.0"


def test_targets_with_one_port_share_its_object(load, minimal: str) -> None:
    targets = "".join(
        f"  - {{type: tcp, group: plant, host: 10.0.0.{n}, port: 8080}}\n" for n in (6, 7)
    )
    first, second = load(minimal + targets).endpoints[1:]
    assert first.port is second.port == 8080


def test_the_merge_key_example_of_the_configuration_guide_loads(load) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    section = guide[guide.index("## Repeating settings"):]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", 10)]
    text = "version: 1\ndefaults: {}\ngroups: [{id: press-shop, name: Press shop}]\n" + example
    endpoints = load(text).endpoints
    assert [(e.name, e.host, e.port, e.interval_s) for e in endpoints] == [
        ("Press 1 PLC", "10.0.1.10", 502, 5.0),
        ("Press 2 PLC", "10.0.1.11", 502, 5.0),
        ("Press 3 PLC", "10.0.1.12", 502, 2.0),
    ]
