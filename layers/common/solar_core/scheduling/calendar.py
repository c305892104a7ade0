"""Days as the scheduler counts them: UTC dates, weekday names `mon`..`sun`, windows of at most 60 days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from solar_core import errors

DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 60


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS = list(Weekday)
MON_TO_FRI = WEEKDAYS[:5]


def today() -> date:
    return datetime.now(UTC).date()


def tomorrow() -> date:
    return today() + timedelta(days=1)


def weekday_of(day: date) -> Weekday:
    return WEEKDAYS[day.weekday()]


def iso_day(value: object) -> object:
    """A day as the API takes it: the text YYYY-MM-DD (a validator before pydantic reads the date)."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    if isinstance(value, date):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def parse_day(text: str, what: str = "date") -> date:
    """A date written YYYY-MM-DD (400 otherwise)."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput(f"{what} must be a date written YYYY-MM-DD.") from None


def window(start: str | None, days: int | None, default_start: date) -> list[date]:
    """The days from `start` (default `default_start`) for `days` days (default 14, 1 to 60)."""
    first = parse_day(start, "from") if start else default_start
    length = DEFAULT_WINDOW_DAYS if days is None else days
    if not 1 <= length <= MAX_WINDOW_DAYS:
        raise errors.InvalidInput(f"days must be between 1 and {MAX_WINDOW_DAYS}.")
    return [first + timedelta(days=offset) for offset in range(length)]
