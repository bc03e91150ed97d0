"""``depends_on``: names and ids resolved to endpoints, groups handing theirs down, and every
entry that cannot be a dependency refused at its line and column."""

from __future__ import annotations

from collections.abc import Callable

from pulse_core.config import ConfigError
from pulse_core.dependencies import DependsOnMode
from tests.config.conftest import Loader

PLANT = """\
version: 1
groups:
  - {id: network, name: Network}
  - {id: line-1, name: Line 1, depends_on: switch-1}
  - {id: cell-a, name: Cell A, parent_id: line-1}
targets:
  - {name: switch-1, type: tcp, group: network, host: 127.0.0.1, port: 9001}
  - {name: plc-1, type: tcp, group: line-1, host: 127.0.0.1, port: 9002}
  - {name: plc-2, type: tcp, group: cell-a, host: 127.0.0.1, port: 9003}
  - {name: hmi, type: tcp, group: network, host: 127.0.0.1, port: 9004,
     depends_on: [switch-1, plc-1], depends_on_mode: any}
"""


def _place(text: str, written: str) -> tuple[int, int]:
    """1-based line and column where ``written`` first appears in ``text``."""
    before = text[: text.index(written)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def _ids(config, *names: str) -> list[str]:
    by_name = {endpoint.name: endpoint.id for endpoint in config.endpoints}
    return [by_name[name] for name in names]


def test_group_dependencies_reach_child_groups_and_targets_name_their_own(load: Loader) -> None:
    config = load(PLANT)
    switch, plc_1, plc_2, hmi = _ids(config, "switch-1", "plc-1", "plc-2", "hmi")
    dependencies = config.dependencies
    assert dependencies.parents == {plc_1: (switch,), plc_2: (switch,), hmi: (switch, plc_1)}
    assert dependencies.mode_of(hmi) is DependsOnMode.ANY
    assert dependencies.mode_of(plc_1) is DependsOnMode.ALL
    assert sorted(dependencies.descendants(switch)) == sorted([plc_1, plc_2, hmi])
    assert switch not in dependencies.parents


def test_an_id_names_an_endpoint_and_a_group_never_makes_one_depend_on_itself(
    load: Loader,
) -> None:
    first = load(PLANT)
    switch = _ids(first, "switch-1")[0]
    text = PLANT.replace(
        "{id: line-1, name: Line 1, depends_on: switch-1}",
        f"{{id: line-1, name: Line 1, depends_on: ['{switch}']}}",
    ).replace("group: network, host: 127.0.0.1, port: 9001", "group: line-1, host: 127.0.0.1, port: 9001")
    config = load(text)
    assert switch not in config.dependencies.parents
    assert config.dependencies.parents[_ids(config, "plc-1")[0]] == (switch,)


def test_unknown_names_are_refused_at_their_entry(
    load_error: Callable[..., ConfigError],
) -> None:
    text = PLANT.replace("depends_on: [switch-1, plc-1]", "depends_on: [switch-1, plc_1]")
    error = load_error(text)
    (issue,) = error.issues
    assert issue.path == "targets[3].depends_on[1]"
    assert (issue.line, issue.column) == _place(text, "plc_1")
    assert "no endpoint is named 'plc_1'" in issue.message
    assert "did you mean 'plc-1'?" in issue.message
    assert f"<config>:{issue.line}:{issue.column}: {issue.path}" in str(error)


def test_a_cycle_is_refused_with_its_path(load_error: Callable[..., ConfigError]) -> None:
    text = PLANT.replace(
        "{name: switch-1, type: tcp, group: network,",
        "{name: switch-1, depends_on: hmi, type: tcp, group: network,",
    ).replace("depends_on: [switch-1, plc-1], depends_on_mode: any", "depends_on: plc-2")
    (issue,) = load_error(text).issues
    assert issue.message.startswith(
        "endpoints depend on each other in a cycle: switch-1 → hmi → plc-2 → switch-1;"
    )
    assert issue.path == "targets[0].depends_on"
    assert (issue.line, issue.column) == _place(text, "hmi, type")


def test_depending_on_itself_is_a_cycle(load_error: Callable[..., ConfigError]) -> None:
    text = PLANT.replace("depends_on: [switch-1, plc-1]", "depends_on: [hmi]")
    (issue,) = load_error(text).issues
    assert issue.path == "targets[3].depends_on[0]"
    assert "cycle: hmi → hmi" in issue.message


def test_a_range_target_is_refused_with_the_name_of_one_of_its_endpoints(
    load_error: Callable[..., ConfigError],
) -> None:
    text = PLANT + "  - {name: plcs, type: tcp, group: network, cidr: 127.0.1.0/30, port: 502}\n"
    text = text.replace("depends_on: switch-1}", "depends_on: plcs}")
    (issue,) = load_error(text).issues
    assert issue.path == "groups[1].depends_on"
    assert (issue.line, issue.column) == _place(text, "plcs}")
    assert issue.message == (
        "'plcs' is targets[4], a cidr that expands to 2 endpoints: "
        "depend on one of them by its name, like 'plcs 127.0.1.1'"
    )


def test_a_name_several_endpoints_share_is_refused(
    load_error: Callable[..., ConfigError],
) -> None:
    text = PLANT + "  - {name: switch-1, type: tcp, group: network, host: 127.0.0.1, port: 9005}\n"
    issues = {issue.path: issue for issue in load_error(text).issues}
    assert issues.keys() == {"groups[1].depends_on", "targets[3].depends_on[0]"}
    assert issues["groups[1].depends_on"].message.startswith("2 endpoints are named 'switch-1'")


def test_a_mode_other_than_all_or_any_is_refused(load_error: Callable[..., ConfigError]) -> None:
    (issue,) = load_error(PLANT.replace("depends_on_mode: any", "depends_on_mode: most")).issues
    assert issue.path == "targets[3].depends_on_mode"


def test_a_configuration_without_depends_on_has_no_dependencies(load: Loader, minimal: str) -> None:
    assert not load(minimal).dependencies
