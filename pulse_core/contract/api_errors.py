"""The error a route raises for anything its caller can fix, answered as JSON
``{"message": ...}`` plus details (the web server's handlers turn it into that answer)."""

from __future__ import annotations

from typing import Any


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
