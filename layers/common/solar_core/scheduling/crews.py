"""Crews and their days off: a change that would strand a booking is refused, naming the bookings to move."""

from __future__ import annotations

from datetime import date

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_errors import CONDITION_FAILED_CODES, cancellation_codes, storage_edge, storage_error
from solar_core.installations.clock import iso, now
from solar_core.scheduling import calendar
from solar_core.scheduling.models import Crew, CrewIn, DayOff, DayOffIn, StrandedBooking
from solar_core.scheduling.tables import (
    CREWS_PK,
    CrewDayItem,
    CrewItem,
    DayOffItem,
    SchedulingItem,
    crew_days_pk,
    crew_sk,
    day_off_sk,
    day_sk,
)
from solar_core.transactions import connection

# A crew change races bookings of that crew; after this many lost races the caller is told to try again.
_CREW_WRITE_ATTEMPTS = 3


def as_crew(item: CrewItem) -> Crew:
    return Crew.model_validate(
        {
            "crew_id": item.crew_id,
            "name": item.name,
            "branch_id": item.branch_id,
            "skills": list(item.skills),
            "installs_per_day": int(item.installs_per_day),
            "working_days": list(item.working_days),
            "active": item.active,
        }
    )


@storage_edge
def find_crew(crew_id: str) -> CrewItem | None:
    try:
        return CrewItem.get(CREWS_PK, crew_sk(crew_id), consistent_read=True)
    except DoesNotExist:
        return None


def crew_item(crew_id: str) -> CrewItem:
    item = find_crew(crew_id)
    if item is None:
        raise errors.NotFound(f"No crew {crew_id}.")
    return item


@storage_edge
def list_crews(branch_id: str | None = None) -> list[Crew]:
    """Every crew, or a branch's: one query on the crews' partition (crews are tens, not thousands)."""
    condition = CrewItem.branch_id == branch_id if branch_id else None
    items = CrewItem.query(CREWS_PK, filter_condition=condition)
    return sorted((as_crew(item) for item in items if isinstance(item, CrewItem)), key=lambda crew: crew.crew_id)


@storage_edge
def crew_days(crew_id: str, first: date, last: date | None = None) -> list[SchedulingItem]:
    """The crew's booked days and days off from `first` to `last` (or on), one query, strongly consistent."""
    upper = f"{day_sk(last.isoformat())}#~" if last else "DAY#~"
    return list(
        SchedulingItem.query(
            crew_days_pk(crew_id), SchedulingItem.sk.between(day_sk(first.isoformat()), upper), consistent_read=True
        )
    )


def _stranded(days: list[SchedulingItem], crew: CrewIn) -> list[StrandedBooking]:
    """The bookings the crew's new settings leave on a day it no longer has room or works: the latest bookings of
    an over-full day (by request id, as no order among them is kept) and every booking of a day it stops working."""
    stranded: list[StrandedBooking] = []
    for day in days:
        if not isinstance(day, CrewDayItem) or not day.request_ids:
            continue
        ids = sorted(day.request_ids)
        if calendar.weekday_of(date.fromisoformat(day.date)) not in crew.working_days:
            stranded += [StrandedBooking(installation_request_id=rid, date=day.date) for rid in ids]
        elif len(ids) > crew.installs_per_day:
            stranded += [
                StrandedBooking(installation_request_id=rid, date=day.date) for rid in ids[crew.installs_per_day :]
            ]
    return stranded


def put_crew(crew_id: str, crew: CrewIn) -> tuple[Crew, bool]:
    """Creates or replaces the crew; (the crew, created). 409 naming the bookings a lower capacity or fewer working
    days would strand, or when bookings kept landing while it looked."""
    for _ in range(_CREW_WRITE_ATTEMPTS):
        existing = find_crew(crew_id)
        if existing is not None:
            stranded = _stranded(crew_days(crew_id, calendar.today()), crew)
            if stranded:
                raise errors.Conflict(
                    f"Crew {crew_id} has bookings its new days or capacity would strand; move them first.",
                    [booking.model_dump() for booking in stranded],
                )
        item = CrewItem(
            pk=CREWS_PK,
            sk=crew_sk(crew_id),
            crew_id=crew_id,
            name=crew.name,
            branch_id=crew.branch_id,
            skills=[skill.value for skill in crew.skills],
            installs_per_day=crew.installs_per_day,
            working_days=[day.value for day in crew.working_days],
            active=crew.active,
            revision=1 if existing is None else int(existing.revision) + 1,
            bookings_revision=0 if existing is None else int(existing.bookings_revision),
            updated_at=iso(now()),
        )
        if existing is None:
            unchanged = CrewItem.pk.does_not_exist()
        else:
            unchanged = (CrewItem.revision == existing.revision) & (
                CrewItem.bookings_revision == existing.bookings_revision
            )
        try:
            item.save(condition=unchanged)
        except PutError as exc:
            error = storage_error(exc)
            if isinstance(error, errors.Conflict):
                continue  # a booking or another change landed since the crew was read: look again
            raise error from exc
        return as_crew(item), existing is None
    raise errors.Conflict(f"Crew {crew_id} kept changing while it was saved; try again.")


def put_day_off(crew_id: str, day: date, body: DayOffIn) -> DayOff:
    """The crew is off that day; 409 naming the bookings when it has installs booked then. The day's count is
    checked in the same transaction, and a booking checks the day off, so neither can slip past the other."""
    crew_item(crew_id)
    text = day.isoformat()
    off = DayOffItem(pk=crew_days_pk(crew_id), sk=day_off_sk(text), crew_id=crew_id, date=text, reason=body.reason)
    booked_day = CrewDayItem(pk=crew_days_pk(crew_id), sk=day_sk(text))
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(off)
            transaction.condition_check(
                CrewDayItem,
                booked_day.pk,
                booked_day.sk,
                condition=CrewDayItem.pk.does_not_exist() | (CrewDayItem.booked <= 0),
            )
    except TransactWriteError as exc:
        if set(cancellation_codes(exc)) & CONDITION_FAILED_CODES:
            days = [d for d in crew_days(crew_id, day, day) if isinstance(d, CrewDayItem)]
            ids = sorted(days[0].request_ids or []) if days else []
            raise errors.Conflict(
                f"Crew {crew_id} has installs booked on {text}; move them first.",
                [StrandedBooking(installation_request_id=rid, date=text).model_dump() for rid in ids],
            ) from exc
        raise storage_error(exc) from exc
    return DayOff(crew_id=crew_id, date=text, reason=body.reason)


@storage_edge
def delete_day_off(crew_id: str, day: date) -> None:
    crew_item(crew_id)
    DayOffItem(pk=crew_days_pk(crew_id), sk=day_off_sk(day.isoformat())).delete()
