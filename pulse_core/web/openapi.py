"""The OpenAPI document at ``/openapi.json``, generated from the routes by quart-schema.

The document is public; no interactive docs page is served, because quart-schema's pages load
their JavaScript from a CDN that the air-gapped plant networks Pulse runs in cannot reach.
``docs/api.md`` describes the API instead, and any OpenAPI viewer can load the document.

What quart-schema does not derive, this provider adds, from the same facts the server acts
on, so the document cannot disagree with it:

- which operations are open to anonymous callers (the routes' access marks, as the guard);
- which query parameters are required;
- the error answers every operation can give: the guard's 401, 403, 429 and 503 (and its
  403/415 for writes relying on the session cookie), a 400 where the operation reads
  parameters or a body, a 404 where its path names something. They are
  added here once, instead of on every route, so a new route is documented the day it is
  written; a route declares only its own (a 409, a 502);
- answers without a JSON body (a 204, a YAML or CSV file), declared with
  :func:`pulse_core.contract.answers`;
- summaries and descriptions from the views' docstrings, in Markdown: the docstrings are
  written in the code's reStructuredText, whose double backticks and roles OpenAPI viewers
  would show raw.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Iterable

from quart import Quart
from quart_schema import QuartSchema
from quart_schema.conversion import model_schema
from quart_schema.extension import SecuritySchemeInput
from quart_schema.openapi import HttpSecurityScheme, Info, OpenAPIProvider
from werkzeug.routing import BaseConverter, IntegerConverter, Rule

from pulse_core import __version__
from pulse_core.contract.openapi import (
    ANSWERS_ATTRIBUTE,
    ERRORS_ATTRIBUTE,
    REQUEST_TEXT_ATTRIBUTE,
)
from pulse_core.web.access import needed_role
from pulse_core.web.api.schemas import ErrorBody
from pulse_core.web.auth.csrf import STATE_CHANGING
from pulse_core.web.auth.guard import UNLIMITED_PATHS

#: an API key as ``Authorization: Bearer <key>``, or a user's name and password (HTTP Basic)
SECURITY_SCHEMES: dict[str, SecuritySchemeInput] = {
    "apiKey": HttpSecurityScheme(scheme="bearer", bearer_format="Pulse API key"),
    "password": HttpSecurityScheme(scheme="basic"),
}

#: one event of a ``text/event-stream``, as clients read it: its ``data`` is a JSON text
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["data"],
}

ERROR_SCHEMA_NAME = "ErrorBody"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}

#: what each error status means, the same on every operation; a route's own rules for one
#: (which conflict a 409 is, say) are in its description
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The parameters or the body are not valid: `message` names the problem and how to fix "
    "it; `errors`, when present, lists every problem with where it is.",
    401: "No valid credentials: none were sent, the API key is revoked or mistyped, or the "
    "username or password is wrong.",
    403: "The caller's role is too low for this operation; or, for a write relying on the "
    "session cookie, the request came from a page of another site (`Origin`).",
    404: "Nothing with this id exists (or the caller may not see it).",
    409: "The request conflicts with the current state; `message` says how.",
    413: "The body is larger than the operation takes; `message` gives the limit.",
    415: "A write relying on the session cookie must declare a content type the operation "
    "reads (JSON unless it says otherwise); API keys and HTTP Basic are not held to this.",
    429: "Too many requests from this caller (or wrong passwords for this username): retry "
    "after `Retry-After` seconds.",
    502: "The receiver refused or could not be reached; `message` has its answer.",
    503: "Pulse cannot reach its database right now; retry in a moment.",
    504: "The receiver did not answer in time.",
}

#: headers an error answer always carries
ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "the accepted schemes",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``", re.DOTALL)
_ROLE = re.compile(r":[a-z]+:`~?(?:[\w.]*\.)?([^`]+)`")


def markdown(text: str) -> str:
    """reStructuredText inline markup as Markdown: ````x```` and ``:func:`~a.b.x``` as ```x```."""
    return _ROLE.sub(r"`\1`", _DOUBLE_BACKTICKS.sub(r"`\1`", text))


def summary_and_description(docstring: str) -> tuple[str, str]:
    """The first paragraph as the summary (one line), the rest as the description."""
    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(markdown(docstring)).strip())
    summary = " ".join(line.strip() for line in paragraphs[0].splitlines())
    return summary, "\n\n".join(paragraphs[1:])


def _in_markdown(value: Any) -> Any:
    """``value`` with every ``description`` in it (from model docstrings too) in Markdown."""
    if isinstance(value, dict):
        return {
            key: markdown(item) if key == "description" and isinstance(item, str)
            else _in_markdown(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_in_markdown(item) for item in value]
    return value


def error_statuses(
    operation: dict[str, Any], method: str, needs_caller: bool, rate_limited: bool
) -> set[int]:
    """The errors the guard and quart-schema's validation can answer ``operation`` with."""
    statuses: set[int] = set()
    if method.upper() in STATE_CHANGING:
        statuses |= {403, 415}  # a write with the session cookie (the guard's CSRF check)
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {400, 413}  # 413: Quart's MAX_CONTENT_LENGTH, or the operation's own limit
    if any(p["in"] in ("query", "header") for p in parameters):
        statuses.add(400)
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if needs_caller:
        statuses |= {401, 403, 503}  # the caller's credentials are looked up in the store
    if rate_limited:
        statuses.add(429)
    return statuses


def error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS.get(status, "An error; `message` says what went wrong."),
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in ERROR_HEADERS:
        response["headers"] = ERROR_HEADERS[status]
    return response


def _is_error_body(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema == ERROR_REF or schema.get("title") == ERROR_SCHEMA_NAME


class PulseOpenAPIProvider(OpenAPIProvider):
    def generate_rules(self) -> Iterable[Rule]:
        """The API only: pages and static files plugins serve (the dashboard) are not part of it."""
        return (rule for rule in super().generate_rules() if rule.rule.startswith("/api/"))

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        components[ERROR_SCHEMA_NAME] = model_schema(
            ErrorBody,
            preference=self._app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"],
            schema_mode="serialization",
        )
        for operations in paths.values():
            for method, operation in operations.items():
                operations[method] = self._completed(dict(operation), view, rule.rule, method)
        return _in_markdown(paths), _in_markdown(components)

    def _completed(
        self, operation: dict[str, Any], view: Any, path: str, method: str
    ) -> dict[str, Any]:
        """``operation`` with what quart-schema leaves out (see the module's docstring)."""
        operation["responses"] = dict(operation["responses"])
        operation.pop("description", None)
        if view.__doc__:
            operation["summary"], description = summary_and_description(view.__doc__)
            if description:
                operation["description"] = description
        if "requestBody" in operation:  # quart-schema refuses a request without one
            operation["requestBody"] = {**operation["requestBody"], "required": True}
        if hasattr(view, REQUEST_TEXT_ATTRIBUTE):
            media_type, description = getattr(view, REQUEST_TEXT_ATTRIBUTE)
            schema = {"type": "string", "description": description}
            content = {media_type: {"schema": schema}}
            operation["requestBody"] = {"required": True, "content": content}
        role = needed_role(view, path)
        if role is None:
            operation["security"] = []
        else:
            operation["x-pulse-role"] = role.value
        self._add_answers(operation["responses"], getattr(view, ANSWERS_ATTRIBUTE, {}))
        for status, response in operation["responses"].items():
            if not response.get("description"):  # a model without a docstring
                description = operation.get("summary", "")
                operation["responses"][status] = {**response, "description": description}
        own_errors = set(getattr(view, ERRORS_ATTRIBUTE, ()))
        rate_limited = path not in UNLIMITED_PATHS
        self._add_errors(operation, own_errors, method, role is not None, rate_limited)
        return operation

    @staticmethod
    def _add_answers(
        responses: dict[Any, Any], extra: dict[tuple[int, str | None], tuple[str, dict[str, Any]]]
    ) -> None:
        for (status, media_type), (description, schema) in extra.items():
            response = dict(responses.get(status, {"description": description}))
            if media_type is not None:
                content = dict(response.get("content", {}))
                content[media_type] = {"schema": {**schema, "description": description}}
                response["content"] = content
            responses[status] = response

    @staticmethod
    def _add_errors(
        operation: dict[str, Any], own: set[int], method: str, needs_caller: bool,
        rate_limited: bool,
    ) -> None:
        """The standard errors, and the route's own error answers in the standard shape."""
        responses = operation["responses"]
        own |= {int(status) for status, response in responses.items() if _is_error_body(response)}
        standard = error_statuses(operation, method, needs_caller, rate_limited)
        for status in sorted(own | standard):
            responses[status] = error_response(status)
        operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        """Integer ids with the bounds the route matches (see :mod:`pulse_core.web.ids`)."""
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, IntegerConverter):
            bounds = {"minimum": converter.min, "maximum": converter.max}
            if not converter.signed:
                bounds["minimum"] = max(converter.min or 0, 0)
            schema = {**parameter["schema"], **{k: v for k, v in bounds.items() if v is not None}}
            parameter = {**parameter, "schema": schema}
        return parameter

    def build_querystring_parameters(
        self, model: Any
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        parameters, definitions = super().build_querystring_parameters(model)
        preference = self._app.config["QUART_SCHEMA_CONVERSION_PREFERENCE"]
        schema = model_schema(model, preference=preference)
        required = set(schema.get("required", ()))
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions


def install_openapi(app: Quart) -> None:
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        info=Info(
            title="Pulse",
            version=__version__,
            description="Network availability monitor. Every error answer is JSON "
            '`{"message": "...", ...details}`. See docs/api.md for a guide to every route.',
        ),
        security_schemes=SECURITY_SCHEMES,
        security=[{"apiKey": []}, {"password": []}],
        openapi_provider_class=PulseOpenAPIProvider,
    )
