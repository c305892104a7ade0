"""OpenSolar's failures as domain errors, by what the caller should do: wait, retry, or stop and tell someone."""

from __future__ import annotations

from solar_core import errors


class OpenSolarUnavailable(errors.UpstreamUnavailable):
    """A 5xx, a timeout, a dropped connection or an unreadable answer: retrying later may succeed.

    `uncertain` means a write may have been applied although we never learned it (the answer was lost), so a
    create must look its identifier up before trying again.
    """

    def __init__(self, message: str, *, http_status: int | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.uncertain = uncertain


class OpenSolarThrottled(errors.UpstreamUnavailable):
    """A 429: OpenSolar refused the call for now; `retry_after_s` is its Retry-After, when it sent one."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.http_status = 429


class OpenSolarRejected(errors.UpstreamRejected):
    """A 4xx about the request itself (bad data, unknown project): sending it again will not help."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class OpenSolarMisconfigured(OpenSolarRejected):
    """The integration cannot work until someone fixes its set-up: credentials refused, no paid plan, no permission
    on the organisation, no organisation id."""


OpenSolarError = OpenSolarUnavailable | OpenSolarThrottled | OpenSolarRejected
"""Every error the client raises."""


def http_status_of(error: Exception) -> int | None:
    """The HTTP status OpenSolar answered with, when the error came from an answer."""
    status = getattr(error, "http_status", None)
    return status if isinstance(status, int) else None
