"""What a configuration that cannot be loaded reports: every problem at once, each with its place.

A user fixing a YAML file wants the whole list in one go, with ``file:line:column`` prefixes
an editor can jump to, and the API wants the same list as JSON (docs/configuration.md, Errors).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pulse_core.config.limits import shown

#: a place in the YAML document: mapping keys and sequence indexes from the root
Path = tuple[str | int, ...]


class Source(Protocol):
    """The document issues are found in."""

    def locate(self, path: Path, at_key: bool = False) -> tuple[int, int] | None:
        """1-based ``(line, column)`` of ``path`` (its key if ``at_key``), or its nearest parent."""

    def value_at(self, path: Path) -> Any:
        """The value at ``path`` as written (before ``${VAR}`` substitution), or ``None``."""


def format_path(path: Path) -> str:
    """``("targets", 3, "port")`` → ``targets[3].port``, the spelling used in every message."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'color'?"`` when ``word`` looks like a typo of one of ``choices``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem: where it is (dotted path and 1-based line/column), what is wrong, and the
    value as written (a long text cut to its start, see ``limits.shown``)."""

    path: str
    message: str
    value: Any = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "message": self.message,
            "value": self.value,
            "line": self.line,
            "column": self.column,
        }

    def describe(self, source_name: str) -> str:
        """``pulse.yaml:12:5: targets[3].port: port is required for tcp targets``."""
        place = source_name
        if self.line is not None:
            place += f":{self.line}:{self.column}"
        return f"{place}: {self.path}: {self.message}" if self.path else f"{place}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue], source_name: str = "<config>") -> None:
        self.issues = list(issues)
        self.source_name = source_name
        count = len(self.issues)
        self.message = f"{source_name} is not a valid configuration: {count} " + (
            "error" if count == 1 else "errors"
        )
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of a rejected configuration: ``{"message", "errors": [...]}``."""
        return {"message": self.message, "errors": [issue.to_dict() for issue in self.issues]}

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(issue.describe(self.source_name) for issue in self.issues)
        return "\n".join(lines)


class IssueCollector:
    """Gathers issues while the loader keeps going, locating each in the YAML text.

    An issue's ``value`` is always what the file says at its path, never the value after
    ``${VAR}`` substitution: error reports must not leak the secrets the file refers to.
    """

    def __init__(self, source: Source, issues: Sequence[ConfigIssue] = ()) -> None:
        self._source = source
        self.issues: list[ConfigIssue] = list(issues)

    def add(self, path: Path, message: str, *, at_key: bool = False) -> None:
        """Record a problem at ``path``; a path that does not exist points at its nearest parent."""
        position = self._source.locate(path, at_key)
        line, column = position if position is not None else (None, None)
        value = shown(self._source.value_at(path))
        self.issues.append(ConfigIssue(format_path(path), message, value, line, column))

    def error(self, source_name: str) -> ConfigError:
        """The issues found so far, in the order of the file, as one error."""
        ordered = sorted(self.issues, key=lambda issue: (issue.line or 0, issue.column or 0))
        return ConfigError(ordered, source_name)
