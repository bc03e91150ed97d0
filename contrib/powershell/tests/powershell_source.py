"""What the module's source says, read from the tree-sitter PowerShell parse tree: parse
problems, the functions with their parameters, help and REST calls, and the manifest's
exports. PowerShell itself is not needed, so these checks run where ``pwsh`` cannot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter_powershell
from tree_sitter import Language, Node, Parser, Tree


@dataclass(frozen=True)
class ApiCall:
    """One ``Invoke-PulseApi`` call: its method, its route as the OpenAPI document writes it,
    and the names of its route values and query parameters."""

    method: str
    route: str
    route_values: frozenset[str]
    query: frozenset[str]


@dataclass(frozen=True)
class Function:
    name: str
    parameters: tuple[str, ...]
    #: the comment-based help's text, empty when there is none
    help: str
    #: ``[CmdletBinding(SupportsShouldProcess)]``: ``-WhatIf`` and ``-Confirm``
    should_process: bool
    api_calls: tuple[ApiCall, ...]


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_powershell.language()))


def parse(path: Path) -> Tree:
    return _parser().parse(path.read_bytes())


def parse_text(text: str) -> Tree:
    return _parser().parse(text.encode("utf-8"))


def problems(tree: Tree) -> list[str]:
    """Every ERROR and MISSING node, as ``line:column: what``."""
    found = []
    for node in walk(tree.root_node):
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            kind = f"missing {node.type}" if node.is_missing else "syntax error"
            found.append(f"{line + 1}:{column + 1}: {kind} at {_text(node)[:40]!r}")
    return found


def functions(tree: Tree) -> dict[str, Function]:
    return {
        function.name: function
        for function in (_function(node) for node in walk(tree.root_node)
                         if node.type == "function_statement")
    }


def manifest_exports(tree: Tree) -> list[str]:
    """The names in the manifest's ``FunctionsToExport``, in order."""
    for entry in walk(tree.root_node):
        if entry.type == "hash_entry" and _key(entry) == "FunctionsToExport":
            return [_string(node) for node in walk(entry) if node.type == "string_literal"]
    raise AssertionError("the manifest has no FunctionsToExport")


def script_table(tree: Tree, name: str) -> dict[str, str]:
    """The entries of the hashtable literal assigned to ``$script:<name>``, as texts."""
    for node in walk(tree.root_node):
        if node.type == "assignment_expression" and _text(node.children[0]) == f"$script:{name}":
            return {
                _key(entry): _string(_child(entry, "pipeline"))
                for entry in walk(node) if entry.type == "hash_entry"
            }
    raise AssertionError(f"no $script:{name} = @{{...}} in the module")


def _function(node: Node) -> Function:
    name = _text(_child(node, "function_name"))
    body = _child(node, "script_block")
    param_block = _child(body, "param_block") if body is not None else None
    parameters: tuple[str, ...] = ()
    should_process = False
    if param_block is not None:
        parameters = tuple(
            _text(_child(parameter, "variable")).removeprefix("$")
            for parameter in walk(param_block)
            if parameter.type == "script_parameter"
        )
        should_process = "SupportsShouldProcess" in _binding_arguments(param_block)
    help_text = "\n".join(
        _text(child) for child in node.children
        if child.type == "comment" and _text(child).startswith("<#")
    )
    calls = tuple(_api_call(command) for command in walk(node)
                  if command.type == "command" and _command_name(command) == "Invoke-PulseApi")
    return Function(name, parameters, help_text, should_process, calls)


def _api_call(command: Node) -> ApiCall:
    arguments: dict[str, Node] = {}
    elements = [child for child in _child(command, "command_elements").children
                if child.type != "command_argument_sep"]
    for parameter, value in zip(elements, elements[1:]):
        if parameter.type == "command_parameter":
            arguments[_text(parameter).removeprefix("-")] = value
    return ApiCall(
        method=_text(arguments["Method"]),
        route=_string(next(n for n in walk(arguments["Route"]) if n.type == "string_literal")),
        route_values=_hash_keys(arguments.get("RouteValues")),
        query=_hash_keys(arguments.get("Query")),
    )


def _hash_keys(value: Node | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    return frozenset(_key(entry) for entry in walk(value) if entry.type == "hash_entry")


def _key(entry: Node) -> str:
    key = _child(entry, "key_expression")
    return _string(key) if any(n.type == "string_literal" for n in walk(key)) else _text(key)


def _string(node: Node) -> str:
    """The text of the string literal in ``node``, without its quotes."""
    literal = next((n for n in walk(node) if n.type == "string_literal"), node)
    return re.sub(r"^['\"]|['\"]$", "", _text(literal))


def _binding_arguments(param_block: Node) -> set[str]:
    """The argument names of the function's ``[CmdletBinding(...)]``."""
    attributes = _child(param_block, "attribute_list")
    for attribute in attributes.children if attributes is not None else []:
        name = _child(attribute, "attribute_name")
        if name is not None and _text(name) == "CmdletBinding":
            return {_text(arg) for arg in walk(attribute) if arg.type == "simple_name"}
    return set()


def _command_name(command: Node) -> str | None:
    name = _child(command, "command_name")
    return _text(name) if name is not None else None


def _child(node: Node | None, kind: str) -> Node | None:
    if node is None:
        return None
    return next((child for child in node.children if child.type == kind), None)


def _text(node: Node | None) -> str:
    assert node is not None and node.text is not None
    return node.text.decode("utf-8")


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)
