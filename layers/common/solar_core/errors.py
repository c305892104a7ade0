"""The small hierarchy of domain errors; adapters map them to HTTP answers or queue retry decisions."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(DomainError):
    """The input is malformed or fails validation (HTTP 400)."""

    code = "invalid_input"


class Unprocessable(DomainError):
    """The input is well formed but semantically impossible (HTTP 422)."""

    code = "unprocessable"


class NotFound(DomainError):
    """A referenced id does not exist (HTTP 404)."""

    code = "not_found"


class Conflict(DomainError):
    """The write collides with existing state (HTTP 409)."""

    code = "conflict"


class UpstreamUnavailable(DomainError):
    """A dependency failed transiently: retrying later may succeed."""

    code = "upstream_unavailable"

    def __init__(self, message: str, retry_after_s: float | None = None, details: list[Any] | None = None) -> None:
        super().__init__(message, details)
        self.retry_after_s = retry_after_s


class UpstreamRejected(DomainError):
    """A dependency refused the request for good (bad data, configuration): retrying will not help."""

    code = "upstream_rejected"


class Unauthenticated(DomainError):
    """No valid identity came with the request (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller is known but lacks the role the action needs (HTTP 403)."""

    code = "forbidden"


class PayloadTooLarge(DomainError):
    """The body exceeds the accepted size (HTTP 413)."""

    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """The body is not JSON (HTTP 415)."""

    code = "unsupported_media_type"
