"""Message templates: a small, strict subset of Handlebars (docs/integrations.md).

Notifier options hold templates inside JSON/YAML structures (a ServiceNow body, a Slack
``messageTemplate``). Each string value of such a structure is a template of its own,
rendered on its own; the structure is serialised afterwards, so no value (an endpoint named
``a"}, "x": {"``) can break or inject into the JSON, and nothing is HTML-escaped (``&``
stays ``&``). Mustache (chevron) cannot parse the ``{{#eq status 'offline'}}``
helper, hence this renderer.

Syntax::

    {{endpoint.name}}                       a variable (dotted path); {{{x}}} is the same
    {{#eq status 'offline'}}A{{else}}B{{/eq}}   A when the values are equal, else B
    {{#ne status 'online'}}A{{/ne}}         A when they differ
    {{#if duration}}A{{else}}B{{/if}}       A when the value is present and not empty/zero

``#eq``/``#ne`` compare a variable with a quoted string, a number or another variable.
Mistakes are found when the configuration loads, never at 3 a.m.: unknown variables and
bad syntax raise :class:`TemplateError` naming the position.

API for notifier plugins:

- :data:`VARIABLES`: every variable a template may use (see ``docs/alerting.md``).
- :func:`compile_template` (``str`` → :class:`Template`) and ``Template.render(variables)``.
- :func:`compile_tree` / :func:`render_tree`: the same for a JSON-like structure; the pydantic
  types :data:`TemplateText` and :data:`TemplateTree` compile at validation time, so an
  options model that uses them reports template errors at their YAML path; a structure
  reports every bad string at its own path (one validation error each), so a user fixes
  them all in one round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from pulse_core.config.errors import Path, format_path

#: Variables of every notification (``docs/alerting.md`` describes each one).
VARIABLES: frozenset[str] = frozenset(
    {
        "endpoint.id",
        "endpoint.name",
        "endpoint.address",
        "endpoint.group",
        "endpoint.group_name",
        "endpoint.type",
        "status",
        "previous_status",
        "timestamp",
        "response_time",
        "duration",
        "error",
        "kind",
        "message",
        "count",
        "affected_count",
        "affected",
    }
)

_TAG = re.compile(r"\{\{\{?\s*(.*?)\s*\}?\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_ARGUMENT = re.compile(
    r"'([^']*)'|\"([^\"]*)\"|(-?\d+(?:\.\d+)?)|(" + _PATH.pattern + ")"
)
_BLOCK_HELPERS = ("eq", "ne", "if")


Escape = Callable[[str], str]
"""Turns a variable's value into text a receiver's markup shows as it is."""


class TemplateError(ValueError):
    """A template that cannot be used: bad syntax or an unknown variable."""


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Variable:
    path: str


@dataclass(frozen=True, slots=True)
class _Literal:
    value: str


_Operand = _Variable | _Literal


@dataclass(frozen=True, slots=True)
class _Block:
    helper: str
    operands: tuple[_Operand, ...]
    then: tuple[_Node, ...]
    otherwise: tuple[_Node, ...]


_Node = _Text | _Variable | _Block


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template; ``source`` is the text it came from."""

    source: str
    nodes: tuple[_Node, ...]

    def render(self, variables: Mapping[str, Any], escape: Escape | None = None) -> str:
        """The text, each variable's value passed through ``escape`` (when given): what a
        receiver's markup needs (Slack's ``&``, ``<``, ``>``), never the template's own text."""
        return "".join(_render_node(node, variables, escape) for node in self.nodes)

    def variables(self) -> set[str]:
        """The variable paths this template reads."""
        found: set[str] = set()
        _collect_variables(self.nodes, found)
        return found


def compile_template(source: str, known: frozenset[str] = VARIABLES) -> Template:
    """Parse ``source``; raise :class:`TemplateError` for bad syntax or a variable not in
    ``known``."""
    nodes, _, stray = _parse(source, 0, None)
    if stray is not None:
        raise TemplateError(f"'{{{{{stray}}}}}' outside a block")
    template = Template(source, nodes)
    unknown = sorted(template.variables() - known)
    if unknown:
        raise TemplateError(
            f"unknown variable {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    return template


TreePath = Path
"""Where a string sits in a structure: its keys and list indexes from the top."""


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One string of a structure that is not a usable template."""

    path: TreePath
    message: str
    source: str


class TemplateTreeError(TemplateError):
    """Every string of a structure that is not a usable template, each with its place; the
    message lists them all, one ``fields.summary: ...`` line each."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        super().__init__(
            "\n".join(
                f"{format_path(problem.path)}: {problem.message}" if problem.path
                else problem.message
                for problem in problems
            )
        )


def compile_tree(value: Any) -> Any:
    """``value`` (dicts, lists, scalars) with every string compiled to a :class:`Template`;
    a :class:`TemplateTreeError` names every failing string and its place, so a user fixes
    them all in one round."""
    problems: list[TemplateProblem] = []
    compiled = _compile_at(value, (), problems)
    if problems:
        raise TemplateTreeError(problems)
    return compiled


def render_tree(compiled: Any, variables: Mapping[str, Any], escape: Escape | None = None) -> Any:
    """The structure :func:`compile_tree` made, with every template rendered to a string
    (see :meth:`Template.render` for ``escape``)."""
    if isinstance(compiled, Template):
        return compiled.render(variables, escape)
    if isinstance(compiled, dict):
        return {key: render_tree(item, variables, escape) for key, item in compiled.items()}
    if isinstance(compiled, list):
        return [render_tree(item, variables, escape) for item in compiled]
    return compiled


def source_tree(compiled: Any) -> Any:
    """The structure as written, templates back to their source text (for display)."""
    if isinstance(compiled, Template):
        return compiled.source
    if isinstance(compiled, dict):
        return {key: source_tree(item) for key, item in compiled.items()}
    if isinstance(compiled, list):
        return [source_tree(item) for item in compiled]
    return compiled


# -- pydantic field types ---------------------------------------------------------------------
def _validate_text(value: Any) -> Template:
    if isinstance(value, Template):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("template", "must be text")
    try:
        return compile_template(value)
    except TemplateError as error:
        raise PydanticCustomError("template", str(error)) from None


def _validate_tree(value: Any) -> Any:
    """The compiled structure; its bad strings as one validation error each, located at
    their own key or index (so the loader reports each with its YAML line and column)."""
    try:
        return compile_tree(value)
    except TemplateTreeError as error:
        raise ValidationError.from_exception_data(
            "TemplateTree",
            [
                InitErrorDetails(
                    type=PydanticCustomError("template", "{reason}", {"reason": problem.message}),
                    loc=problem.path,
                    input=problem.source,
                )
                for problem in error.problems
            ],
        ) from None


#: A string option that is a template (validated and compiled when the config loads).
TemplateText = Annotated[
    Template, BeforeValidator(_validate_text), PlainSerializer(lambda t: t.source)
]
#: A structure (mapping, list, scalars) whose strings are templates.
TemplateTree = Annotated[
    Any, BeforeValidator(_validate_tree), PlainSerializer(source_tree)
]


# -- parsing ----------------------------------------------------------------------------------
def _parse(
    source: str, start: int, block: str | None
) -> tuple[tuple[_Node, ...], int, str | None]:
    """Nodes from ``start`` up to the end, an ``{{else}}`` or a ``{{/name}}``; returns the
    nodes, the position after the stopping tag and that tag (``else``, ``/eq``) or None."""
    nodes: list[_Node] = []
    position = start
    while True:
        match = _TAG.search(source, position)
        if match is None:
            if "{{" in source[position:] or "}}" in source[position:]:
                where = position + max(source[position:].find("{{"), 0)
                raise TemplateError(f"unclosed '{{{{' at character {where}")
            if source[position:]:
                nodes.append(_Text(source[position:]))
            return tuple(nodes), len(source), None
        if match.start() > position:
            nodes.append(_Text(source[position : match.start()]))
        tag, position = match.group(1), match.end()
        if tag == "else" or tag.startswith("/"):
            return tuple(nodes), position, tag
        if tag.startswith("#"):
            block_node, position = _parse_block(
                source, tag[1:], match.start(), position
            )
            nodes.append(block_node)
        elif _PATH.fullmatch(tag):
            nodes.append(_Variable(tag))
        else:
            raise TemplateError(
                f"cannot read '{{{{{tag}}}}}' at character {match.start()}"
            )


def _parse_block(
    source: str, tag: str, tag_start: int, position: int
) -> tuple[_Block, int]:
    helper, _, rest = tag.partition(" ")
    if helper not in _BLOCK_HELPERS:
        raise TemplateError(
            f"unknown helper '#{helper}' at character {tag_start} "
            f"(known: {', '.join('#' + name for name in _BLOCK_HELPERS)})"
        )
    operands = _parse_operands(rest, tag_start)
    wanted = 1 if helper == "if" else 2
    if len(operands) != wanted or not isinstance(operands[0], _Variable):
        shape = "a variable" if wanted == 1 else "a variable and a value"
        raise TemplateError(f"'#{helper}' at character {tag_start} takes {shape}")
    then, position, stop = _parse(source, position, helper)
    otherwise: tuple[_Node, ...] = ()
    if stop == "else":
        otherwise, position, stop = _parse(source, position, helper)
    if stop != f"/{helper}":
        found = f"'{{{{{stop}}}}}'" if stop else "the end"
        raise TemplateError(
            f"'{{{{#{helper}}}}}' at character {tag_start} needs '{{{{/{helper}}}}}' before {found}"
        )
    return _Block(helper, operands, then, otherwise), position


def _parse_operands(text: str, tag_start: int) -> tuple[_Operand, ...]:
    operands: list[_Operand] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _ARGUMENT.match(text, position)
        if match is None:
            raise TemplateError(
                f"cannot read {text[position:]!r} at character {tag_start}"
            )
        single, double, number, path = match.groups()
        if path is not None:
            operands.append(_Variable(path))
        else:
            operands.append(
                _Literal(next(v for v in (single, double, number) if v is not None))
            )
        position = match.end()
        while position < len(text) and text[position] == " ":
            position += 1
    return tuple(operands)


# -- rendering --------------------------------------------------------------------------------
def _lookup(variables: Mapping[str, Any], path: str) -> Any:
    value: Any = variables
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _operand(operand: _Operand, variables: Mapping[str, Any]) -> str:
    if isinstance(operand, _Literal):
        return operand.value
    return _text(_lookup(variables, operand.path))


def _render_node(node: _Node, variables: Mapping[str, Any], escape: Escape | None) -> str:
    if isinstance(node, _Text):
        return node.text
    if isinstance(node, _Variable):
        text = _text(_lookup(variables, node.path))
        return escape(text) if escape is not None else text
    if node.helper == "if":
        chosen = bool(_lookup(variables, _first_path(node)))
    else:
        equal = _operand(node.operands[0], variables) == _operand(
            node.operands[1], variables
        )
        chosen = equal if node.helper == "eq" else not equal
    branch = node.then if chosen else node.otherwise
    return "".join(_render_node(child, variables, escape) for child in branch)


def _first_path(block: _Block) -> str:
    operand = block.operands[0]
    assert isinstance(operand, _Variable)  # checked by _parse_block
    return operand.path


def _collect_variables(nodes: tuple[_Node, ...], found: set[str]) -> None:
    for node in nodes:
        if isinstance(node, _Variable):
            found.add(node.path)
        elif isinstance(node, _Block):
            found.update(op.path for op in node.operands if isinstance(op, _Variable))
            _collect_variables(node.then, found)
            _collect_variables(node.otherwise, found)


def _compile_at(value: Any, path: TreePath, problems: list[TemplateProblem]) -> Any:
    if isinstance(value, str):
        try:
            return compile_template(value)
        except TemplateError as error:
            problems.append(TemplateProblem(path, str(error), value))
            return value
    if isinstance(value, dict):
        return {
            key: _compile_at(item, (*path, str(key)), problems) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_compile_at(item, (*path, index), problems) for index, item in enumerate(value)]
    return value

