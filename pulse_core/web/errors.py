"""Errors the API answers with: always JSON ``{"message": ...}`` plus details, never HTML.

A view raises :class:`ApiError` for anything the caller can fix (a bad parameter, a missing
endpoint); the handlers registered by :func:`install_error_handlers` turn it, and every HTTP
error Quart raises itself (404 for an unknown route, 405), into the same shape. A JSON body
that cannot be read (bad UTF-8, bad JSON, nested too deep) is a 400 wherever it is parsed,
and a store that cannot reach its database a 503: neither is a fault of Pulse, so neither
logs a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, Request, request
from pydantic import ValidationError
from quart_schema import RequestSchemaValidationError
from quart_schema.validation import QuerystringValidationError, RequestHeadersValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from pulse_core.contract.api_errors import ApiError, bad_request
from pulse_core.store import StoreUnavailable

log = logging.getLogger("pulse.web")

#: JSON nested deeper than this is refused. The API's bodies are a few levels deep; a limit
#: far below Python's recursion limit keeps parsing and validating them cheap and safe.
MAX_JSON_DEPTH = 64
STORE_UNAVAILABLE = (
    "Pulse cannot reach its database right now: retry in a moment "
    "(GET /api/health says when the store is back)"
)


def json_depth(value: Any) -> int:
    """How many arrays and objects deep ``value`` goes, without recursing."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        pending.extend((child, depth + 1) for child in item)
    return deepest


class JsonCheckingRequest(Request):
    """Every way a JSON body can be unreadable becomes a 400 naming the problem.

    quart-schema and the views read bodies through ``get_json``; Quart would let a body of
    bad UTF-8 or one nested past the recursion limit escape as a 500 with a traceback.
    """

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            value = await super().get_json(force, silent, cache)
            too_deep = json_depth(value) > MAX_JSON_DEPTH
        except UnicodeDecodeError:
            raise bad_request("the request body is not valid UTF-8") from None
        except RecursionError:
            too_deep = True
        if too_deep:
            raise bad_request(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep")
        return value

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise bad_request(f"the request body is not valid JSON: {error}")


def validation_error_body(error: RequestSchemaValidationError) -> dict[str, Any]:
    """quart-schema's rejection of a query string, header or body, as ``{"message", "errors"}``
    with one ``{"path", "message"}`` per problem, ``path`` naming the parameter or field."""
    if isinstance(error, QuerystringValidationError):
        where = "query parameters"
    elif isinstance(error, RequestHeadersValidationError):
        where = "headers"
    else:
        where = "request body"
    cause = error.validation_error
    if isinstance(cause, ValidationError):
        problems = [
            {"path": ".".join(str(part) for part in problem["loc"]), "message": problem["msg"]}
            for problem in cause.errors(include_url=False)
        ]
    else:
        problems = [{"path": "", "message": str(cause)}]
    summary = "; ".join(f"{p['path']}: {p['message']}" if p["path"] else p["message"] for p in problems)
    return {"message": f"invalid {where}: {summary}", "errors": problems}


def install_error_handlers(app: Quart) -> None:
    app.request_class = JsonCheckingRequest

    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> tuple[dict[str, Any], int, dict[str, str]]:
        return {"message": error.message, **error.details}, error.status, error.headers

    @app.errorhandler(StoreUnavailable)
    async def store_unavailable(error: StoreUnavailable) -> tuple[dict[str, Any], int]:
        log.warning("answered 503, the store cannot reach its database: %s", error)
        return {"message": STORE_UNAVAILABLE, "store": "unreachable"}, 503

    @app.errorhandler(RequestSchemaValidationError)
    async def invalid_request(error: RequestSchemaValidationError) -> tuple[dict[str, Any], int]:
        return validation_error_body(error), 400

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            allowed = ", ".join(sorted(error.valid_methods))
            message = f"{request.method} is not allowed on {request.path}: it takes {allowed}"
            return {"message": message}, 405, {"Allow": allowed}  # RFC 9110 wants Allow
        return {"message": error.description or error.name}, error.code or 500, {}

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[dict[str, Any], int]:
        log.exception("unexpected error while answering a request")
        return {"message": "internal error; the server log has the details"}, 500
