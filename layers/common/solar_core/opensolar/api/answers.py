"""Reading OpenSolar's answers: a 2xx body, or the typed error for any other status, in OpenSolar's own words (DRF
messages, an HTML page's title), Retry-After, and whether a failed call can have reached OpenSolar at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from pydantic import ValidationError
from urllib3.exceptions import MaxRetryError, NewConnectionError

from solar_core.opensolar.api.errors import (
    OpenSolarMisconfigured,
    OpenSolarRejected,
    OpenSolarThrottled,
    OpenSolarUnavailable,
)

_SNIPPET = 200
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def read_answer(response: requests.Response, *, write: bool) -> tuple[int, Any]:
    """The JSON body of a 2xx answer, or the typed error for any other."""
    status = response.status_code
    if 200 <= status < 300:
        if status == 204 or not response.content:
            return status, None
        try:
            return status, response.json()
        except ValueError as exc:
            raise OpenSolarUnavailable(
                f"OpenSolar answered {status} with a body that is not JSON ({_snippet(response)}).",
                http_status=status,
                uncertain=write,
            ) from exc
    if status == 429:
        raise OpenSolarThrottled(
            f"OpenSolar throttled the call (429): {message_of(response)}", retry_after_s(response.headers)
        )
    if status >= 500:
        raise OpenSolarUnavailable(
            f"OpenSolar failed ({status}): {message_of(response)}", http_status=status, uncertain=write
        )
    if status == 403:
        raise OpenSolarMisconfigured(f"OpenSolar refused access (403): {message_of(response)}", http_status=403)
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        raise OpenSolarRejected(
            f"OpenSolar redirected the call ({status} to {location}); it was not applied.", http_status=status
        )
    raise OpenSolarRejected(f"OpenSolar refused the call ({status}): {message_of(response)}", http_status=status)


def message_of(response: requests.Response) -> str:
    """OpenSolar's own words: DRF's `{"detail": ...}` or `{"field": ["problem"]}`, an HTML page's title, or text."""
    try:
        body = response.json()
    except ValueError:
        return _snippet(response)
    return "; ".join(_drf_messages(body)) or _snippet(response)


def _drf_messages(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict):
        if set(node) == {"detail"} and not path:
            return [str(node["detail"])]
        messages = []
        for key, value in node.items():
            where = key if key not in ("detail", "non_field_errors") else ""
            messages += _drf_messages(value, f"{path}.{where}".strip(".") if where else path)
        return messages
    if isinstance(node, list):
        return [message for item in node for message in _drf_messages(item, path)]
    return [f"{path}: {node}" if path else str(node)]


def _snippet(response: requests.Response) -> str:
    text = response.text or ""
    title = _TITLE.search(text)
    if title:
        return f"an HTML page titled {' '.join(title.group(1).split())!r}"
    if not text.strip():
        return "an empty body"
    cleaned = " ".join(text.split())
    return cleaned if len(cleaned) <= _SNIPPET else cleaned[: _SNIPPET - 1] + "…"


def retry_after_s(headers: Any) -> float | None:
    """Retry-After in seconds (a number or an HTTP date); None when absent or unreadable."""
    value = str(headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (refused, no route): nothing can have reached OpenSolar."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def validation_fields(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'} {error['msg'].lower()}" for error in exc.errors()
    ]
    return "; ".join(problems[:5])
