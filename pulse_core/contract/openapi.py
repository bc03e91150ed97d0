"""Marks a route puts on its view for the OpenAPI document at ``/openapi.json``: what
quart-schema cannot derive from the route's models. The web server's document provider
reads them; the errors every operation can give are added there once, so a route declares
only its own."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

View = TypeVar("View", bound=Callable[..., object])

ANSWERS_ATTRIBUTE = "pulse_openapi_answers"
ERRORS_ATTRIBUTE = "pulse_openapi_errors"
REQUEST_TEXT_ATTRIBUTE = "pulse_openapi_request_text"


def answers(
    status: int,
    description: str,
    media_type: str | None = None,
    schema: dict[str, Any] | None = None,
) -> Callable[[View], View]:
    """Document an answer quart-schema cannot: one without a body (``media_type`` None, a 204
    say), or another media type than JSON (quart-schema documents JSON only). The body is a
    string unless ``schema`` says what it holds (a YAML document is a mapping, say)."""

    def mark(view: View) -> View:
        extra = getattr(view, ANSWERS_ATTRIBUTE, {})
        extra[(status, media_type)] = (description, schema or {"type": "string"})
        setattr(view, ANSWERS_ATTRIBUTE, extra)
        return view

    return mark


def errors(*statuses: int) -> Callable[[View], View]:
    """Document error answers a route gives besides the standard ones (a 409, a 502)."""

    def mark(view: View) -> View:
        setattr(view, ERRORS_ATTRIBUTE, {*getattr(view, ERRORS_ATTRIBUTE, ()), *statuses})
        return view

    return mark


def takes_text(media_type: str, description: str) -> Callable[[View], View]:
    """Document a request body a route reads as text (quart-schema documents models only)."""

    def mark(view: View) -> View:
        setattr(view, REQUEST_TEXT_ATTRIBUTE, (media_type, description))
        return view

    return mark


def also_returns(
    media_type: str, description: str, status: int = 200, schema: dict[str, Any] | None = None
) -> Callable[[View], View]:
    """Document another media type a route answers with (quart-schema documents JSON only)."""
    return answers(status, description, media_type, schema)
