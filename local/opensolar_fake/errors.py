"""The fake's non-success answers: one exception type carrying status, body and headers, mapped to HTTP in app.py."""

from __future__ import annotations

from typing import Any

NOT_FOUND = {"detail": "Not found."}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}


class ApiError(Exception):
    """An answer other than success, shaped like the real API's (Django REST framework) error bodies."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def bad_request(body: Any) -> ApiError:
    return ApiError(400, body)
