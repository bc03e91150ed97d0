"""Validate a piece of the document with a pydantic model and report failures as issues.

Pydantic's messages are written for programmers ("Input should be a valid integer, unable
to parse string as an integer"); these say what a person editing YAML must do.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pulse_core.config.errors import IssueCollector, Path, did_you_mean
from pulse_core.config.model import COLOR_PATTERN, GROUP_ID_PATTERN

ModelT = TypeVar("ModelT", bound=BaseModel)

_PATTERN_HINTS = {
    GROUP_ID_PATTERN: "must be 3 to 64 lowercase letters, digits or '-', "
    "starting and ending with a letter or digit",
    COLOR_PATTERN: "must be a color like #0a0 or #00aa00",
}

_TYPE_MESSAGES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
}

_BOUND_MESSAGES = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be greater than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "less_than": ("lt", "must be less than {}"),
}


def validate(
    model: type[ModelT],
    data: Any,
    path: Path,
    issues: IssueCollector,
    *,
    owner: str = "",
) -> ModelT | None:
    """``model`` validated from ``data``, or ``None`` after reporting every error at its place.

    ``owner`` completes the unknown-key message (``" for http targets"``).
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            loc = tuple(detail["loc"])
            kind = detail["type"]
            message = _message(detail, model, owner)
            issues.add((*path, *loc), message, at_key=kind == "extra_forbidden")
        return None


def _message(detail: ErrorDetails, model: type[BaseModel], owner: str) -> str:
    kind = detail["type"]
    key = str(detail["loc"][-1]) if detail["loc"] else ""
    ctx = detail.get("ctx", {})
    if kind == "missing":
        return f"{key} is required"
    if kind == "extra_forbidden":
        owning_model = _model_at(model, detail["loc"][:-1])
        known = owning_model.model_fields if owning_model is not None else ()
        return f"unknown key '{key}'{owner}" + did_you_mean(key, known)
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    if kind in _BOUND_MESSAGES:
        name, template = _BOUND_MESSAGES[kind]
        bound = ctx[name]
        return template.format(
            int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        )
    if kind == "string_type":
        if isinstance(detail["input"], bool):
            return "must be text: put it in quotes (YAML reads yes, no, on and off as true/false)"
        if isinstance(detail["input"], (int, float)):
            return "must be text: put it in quotes"
        return "must be text"
    if kind == "literal_error":
        return f"must be {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(ctx["pattern"], f"must match {ctx['pattern']}")
    if kind == "string_too_short":
        return (
            "must not be empty"
            if ctx["min_length"] == 1
            else (f"must be at least {ctx['min_length']} characters")
        )
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']:,} characters"
    if kind == "too_short":
        return f"must list at least {ctx['min_length']} " + (
            "entry" if ctx["min_length"] == 1 else "entries"
        )
    text = detail["msg"]
    return text[:1].lower() + text[1:]


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc``, following fields and list items."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) and get_origin(current) is list:
            current = get_args(current)[0]
        elif (
            isinstance(current, type)
            and issubclass(current, BaseModel)
            and part in current.model_fields
        ):
            current = current.model_fields[str(part)].annotation
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None
