"""Errors the API answers with: always JSON ``{"message": ...}`` plus details, never HTML.

A view raises :class:`ApiError` for anything the caller can fix (a bad parameter, a missing
endpoint); the handlers registered by :func:`install_error_handlers` turn it, and every HTTP
error Quart raises itself (404 for an unknown route, 405), into the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart
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


def install_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> tuple[dict[str, Any], int, dict[str, str]]:
        return {"message": error.message, **error.details}, error.status, error.headers

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> tuple[dict[str, Any], int]:
        return {"message": error.description or error.name}, error.code or 500

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> tuple[dict[str, Any], int]:
        log.exception("unexpected error while answering a request")
        return {"message": "internal error; the server log has the details"}, 500
