"""What CaTrust.cs offers the module, read from the tree-sitter C# parse tree: the checks run
where no C# compiler for .NET 5 or newer exists (parse problems come from
``powershell_source.problems``, which reads any tree-sitter tree)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tree_sitter_c_sharp
from tree_sitter import Language, Node, Parser, Tree

from .powershell_source import walk

#: the member kinds a PowerShell caller can reach: constructors, methods and properties
_MEMBERS = {"constructor_declaration", "method_declaration", "property_declaration"}


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c_sharp.language()))


def parse(path: Path) -> Tree:
    return _parser().parse(path.read_bytes())


def parse_text(text: str) -> Tree:
    return _parser().parse(text.encode("utf-8"))


def public_members(tree: Tree) -> dict[str, set[str]]:
    """Each class, as ``Namespace.Class``, with the names of its public members."""
    found = {}
    for namespace in walk(tree.root_node):
        if namespace.type != "namespace_declaration":
            continue
        for declaration in walk(namespace):
            if declaration.type == "class_declaration":
                name = f"{_name(namespace)}.{_name(declaration)}"
                found[name] = {
                    _name(member) for member in walk(declaration)
                    if member.type in _MEMBERS and _is_public(member)
                }
    return found


def _is_public(member: Node) -> bool:
    return any(child.type == "modifier" and child.text == b"public" for child in member.children)


def _name(node: Node) -> str:
    name = node.child_by_field_name("name")
    assert name is not None and name.text is not None
    return name.text.decode("utf-8")
