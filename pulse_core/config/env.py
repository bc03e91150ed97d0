"""``${VAR}`` references in string values, replaced from the environment after parsing.

Substituting in the parsed values rather than in the YAML text means a variable can never
change the document's structure: a password containing ``: `` or a newline stays one string.
Results are not scanned again, so a value that itself contains ``${...}`` stays literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulse_core.config.errors import IssueCollector, Path

#: ``$$`` (a literal ``$``), ``${...}``, or an unclosed ``${``
_REFERENCE = re.compile(r"\$(?:(\$)|\{([^}]*)\}|(\{))")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute_env(
    value: Any, environ: Mapping[str, str], issues: IssueCollector, path: Path = ()
) -> Any:
    """``value`` with every reference in its strings replaced; mapping keys are left alone.

    Containers without a reference are returned as they are, not copied: a 20,000-target
    file would otherwise exist twice while it loads."""
    if isinstance(value, dict):
        changed = {
            key: new
            for key, item in value.items()
            if (new := substitute_env(item, environ, issues, (*path, key))) is not item
        }
        return {**value, **changed} if changed else value
    if isinstance(value, list):
        items = [
            substitute_env(item, environ, issues, (*path, index))
            for index, item in enumerate(value)
        ]
        return items if any(new is not old for new, old in zip(items, value)) else value
    if isinstance(value, str) and "$" in value:
        return _substitute_string(value, environ, issues, path)
    return value


def references(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Where each ``${VAR}`` reference of ``value`` is, with the variable's name, read as
    :func:`substitute_env` would (``$${X}`` and a malformed reference are none): what a
    configuration would read from the environment, known before anything is read."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from references(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from references(item, (*path, index))
    elif isinstance(value, str) and "$" in value:
        for match in _REFERENCE.finditer(value):
            body = match.group(2)
            if body is not None and _NAME.fullmatch(name := body.partition(":-")[0]):
                yield path, name


def _substitute_string(
    text: str, environ: Mapping[str, str], issues: IssueCollector, path: Path
) -> str:
    def replace(match: re.Match[str]) -> str:
        literal_dollar, body, unclosed = match.groups()
        if literal_dollar:
            return "$"
        if unclosed:
            issues.add(path, "'${' is not closed: write ${NAME}, or $$ for a literal '$'")
            return match.group(0)
        name, has_default, default = body.partition(":-")
        if not _NAME.fullmatch(name):
            issues.add(
                path,
                f"'${{{body}}}' is not a variable reference: write ${{NAME}} or ${{NAME:-default}}",
            )
            return match.group(0)
        current = environ.get(name)
        if has_default:
            return current or default  # as in the shell, an empty variable takes the default
        if current is None:
            issues.add(
                path,
                f"environment variable {name} is not set: set it or write ${{{name}:-default}}",
            )
            return match.group(0)
        return current

    return _REFERENCE.sub(replace, text)
