"""Errors the API answers with: always JSON ``{"message": ...}`` plus details, never HTML.

A view raises :class:`ApiError` for anything the caller can fix (a bad parameter, a missing
endpoint); the handlers registered by :func:`install_error_handlers` turn it, and every HTTP
error Quart raises itself (404 for an unknown route, 405), into the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart, request
from pydantic import ValidationError
from quart_schema import RequestSchemaValidationError
from quart_schema.validation import QuerystringValidationError, RequestHeadersValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("pulse.web")


class ApiError(Exception):
    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers: dict[str, str] = {}


def bad_request(message: str, **details: Any) -> ApiError:
    return ApiError(400, message, **details)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


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
    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> tuple[dict[str, Any], int, dict[str, str]]:
        return {"message": error.message, **error.details}, error.status, error.headers

    @app.before_request
    async def refuse_undecodable_json() -> None:
        """quart-schema decodes JSON bodies without catching bad UTF-8, which would be a 500."""
        if request.is_json:
            try:
                await request.get_data(as_text=True)
            except UnicodeDecodeError:
                raise bad_request("the request body is not valid UTF-8") from None

    @app.errorhandler(RequestSchemaValidationError)
    async def invalid_request(error: RequestSchemaValidationError) -> tuple[dict[str, Any], int]:
        return validation_error_body(error), 400

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[dict[str, Any], int]:
        return {"message": error.description or error.name}, error.code or 500

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[dict[str, Any], int]:
        log.exception("unexpected error while answering a request")
        return {"message": "internal error; the server log has the details"}, 500
