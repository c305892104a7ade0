"""Time for the fake: DRF-formatted UTC timestamps and a strictly increasing modification clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as UTC, as Django does with USE_TZ and TIME_ZONE=UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def drf_datetime(value: datetime | None) -> str | None:
    """Format like Django REST framework: ISO 8601 with `Z`, microseconds only when they are not zero."""
    if value is None:
        return None
    return as_utc(value).isoformat().removesuffix("+00:00") + "Z"


class ModificationClock:
    """Hands out `now` for writes; two writes in the same microsecond still get distinct, increasing stamps.

    Clients page newest-first and stop at a stored watermark, so equal stamps would make them skip or repeat projects.
    """

    def __init__(self) -> None:
        self._last: datetime | None = None

    def now(self) -> datetime:
        current = datetime.now(UTC)
        if self._last is not None and current <= self._last:
            current = self._last + timedelta(microseconds=1)
        self._last = current
        return current
