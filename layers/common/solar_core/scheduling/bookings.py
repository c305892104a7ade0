"""Booking an installation request on a crew's day in one transaction, so a day never holds more than the crew's
installs_per_day however many staff book at once; moving, freeing and automatic assignment.

The transaction: the day off (must not exist), the audit entry, the request (date, booking, pending → scheduled;
conditioned on the status and booking it was read with), the crew (conditioned on the revision it was read with, so
it is still active, of the branch, skilled and working that weekday; its bookings revision is bumped, so a crew
change racing it sees it), the crew-day's count and ids (conditioned on staying within installs_per_day), and on a
move the old day freed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_errors import CONDITION_FAILED_CODES, TRANSIENT_CODES, cancellation_codes, storage_error
from solar_core.installations import records
from solar_core.installations.audit import audit_item
from solar_core.installations.clock import iso, now
from solar_core.installations.models import BookingSummary
from solar_core.installations.records import StoredInstallationRequest
from solar_core.installations.statuses import InstallationStatus
from solar_core.installations.tables import InstallationRequestItem, ssr_pk
from solar_core.scheduling import calendar, crews, slots
from solar_core.scheduling.models import Booking, BookingIn
from solar_core.scheduling.tables import (
    CREWS_PK,
    CrewDayItem,
    CrewItem,
    DayOffItem,
    crew_days_pk,
    crew_sk,
    day_off_sk,
    day_sk,
)
from solar_core.transactions import connection

BOOKABLE = (InstallationStatus.PENDING, InstallationStatus.SCHEDULED)
# Lost races (another booking of the crew, a contended transaction) are tried again this many times.
_ATTEMPTS = 6
# Automatic assignment reads the free slots again this many times when others took every slot it tried.
_ROUNDS = 10
# Where each item's cancellation reason stands: pynamodb sends condition checks, then puts, then updates.
_DAY_OFF, _AUDIT, _REQUEST, _CREW, _DAY, _OLD_DAY = range(6)


class DayFull(errors.Conflict):
    """The crew's day has no place left."""


class CrewOff(errors.Conflict):
    """The crew is off that day."""


class RequestChanged(errors.Conflict):
    """The installation request (its status or booking) changed since it was read."""


class _LostRace(Exception):
    """The crew changed or the transaction was contended: reading again and retrying may succeed."""


# What else the caller writes in the booking's own transaction (the OpenSolar link's copy of the date and status):
# given the request id, the new date (None when freed) and the new status (None when it stays). Added last, so the
# refusal indexes below hold; when its condition fails, AlsoRefused says so and nothing was written.
AlsoWrite = Callable[[TransactWrite, str, str | None, InstallationStatus | None], None]


class AlsoRefused(errors.Conflict):
    """The caller's own write in the booking's transaction was refused (its condition); nothing was written."""


def _last_refused(exc: TransactWriteError) -> bool:
    codes = cancellation_codes(exc)
    return bool(codes) and codes[-1] in CONDITION_FAILED_CODES


def _request_key(stored: StoredInstallationRequest) -> InstallationRequestItem:
    return InstallationRequestItem(pk=ssr_pk(stored.ssr_id), sk=f"IR#{stored.request.id}")


def _day_key(crew_id: str, day: str) -> CrewDayItem:
    return CrewDayItem(pk=crew_days_pk(crew_id), sk=day_sk(day))


def holds_booking(stored: StoredInstallationRequest) -> Condition:
    """The request still holds the booking it was read with (or still none)."""
    if stored.booked_at:
        return InstallationRequestItem.booked_at == stored.booked_at
    return InstallationRequestItem.booked_at.does_not_exist()


def release_request_actions() -> list[Action]:
    """What freeing a booking removes from the request (its installation date is the caller's to keep or clear)."""
    item = InstallationRequestItem
    return [
        item.booking_crew_id.remove(),
        item.booking_crew_name.remove(),
        item.booking_date.remove(),
        item.booked_at.remove(),
    ]


def release_day(booking: BookingSummary, request_id: str) -> tuple[CrewDayItem, list[Action], Condition]:
    """The update that gives the request's place on its crew-day back (for a transaction that frees a booking)."""
    actions = [CrewDayItem.booked.add(-1), CrewDayItem.request_ids.delete({request_id})]
    return _day_key(booking.crew_id, booking.date), actions, CrewDayItem.request_ids.contains(request_id)


def _as_booking(stored: StoredInstallationRequest) -> Booking:
    assert stored.booking is not None
    return Booking(
        installation_request_id=stored.request.id,
        crew_id=stored.booking.crew_id,
        crew_name=stored.booking.crew_name,
        date=stored.booking.date,
        booked_at=stored.booked_at or "",
    )


def get_booking(request_id: str) -> Booking:
    stored = records.get_installation_request(request_id)
    if stored.booking is None:
        raise errors.NotFound(f"Installation request {request_id} has no booking.")
    return _as_booking(stored)


def _bookable(stored: StoredInstallationRequest) -> None:
    status = stored.request.status
    if status not in BOOKABLE:
        raise errors.Conflict(f"The installation request is {status.value}: only a pending or scheduled one is booked.")


def _fits(stored: StoredInstallationRequest, crew: CrewItem, day: date) -> None:
    """The 422s (this crew can never take this request that day) and the 409 of a weekday it does not work."""
    skill = stored.request.installation_type.value
    if not crew.active:
        raise errors.Unprocessable(f"Crew {crew.crew_id} is inactive.")
    if crew.branch_id != stored.branch_id:
        raise errors.Unprocessable(
            f"Crew {crew.crew_id} is of branch {crew.branch_id}, the request of {stored.branch_id}."
        )
    if skill not in crew.skills:
        raise errors.Unprocessable(f"Crew {crew.crew_id} does not install {skill} systems.")
    if day < calendar.tomorrow():
        raise errors.Unprocessable(
            f"{day.isoformat()} is before tomorrow: book from {calendar.tomorrow().isoformat()}."
        )
    if calendar.weekday_of(day) not in crew.working_days:
        raise errors.Conflict(
            f"Crew {crew.crew_id} does not work on {calendar.weekday_of(day).value} ({day.isoformat()})."
        )


def _commit(
    stored: StoredInstallationRequest, crew: CrewItem, day: date, by: str, also: AlsoWrite | None = None
) -> Booking:
    text, at, request_id = day.isoformat(), iso(now()), stored.request.id
    old = stored.booking
    item = InstallationRequestItem
    actions: list[Action] = [
        item.installation_date.set(text),
        item.booking_crew_id.set(crew.crew_id),
        item.booking_crew_name.set(crew.name),
        item.booking_date.set(text),
        item.booked_at.set(at),
        item.updated_at.set(at),
    ]
    new_status = InstallationStatus.SCHEDULED if stored.request.status == InstallationStatus.PENDING else None
    if new_status is not None:
        actions.append(item.status.set(new_status.value))
    unchanged = (item.status == stored.request.status.value) & holds_booking(stored)
    room = CrewDayItem.booked.does_not_exist() | (CrewDayItem.booked < int(crew.installs_per_day))
    day_actions: list[Action] = [
        CrewDayItem.kind.set(CrewDayItem),
        CrewDayItem.crew_id.set(crew.crew_id),
        CrewDayItem.date.set(text),
        CrewDayItem.booked.add(1),
        CrewDayItem.request_ids.add({request_id}),
    ]
    moved = f" (moved from crew {old.crew_id} on {old.date})" if old else ""
    detail = f"Booked on crew {crew.crew_id} for {text} by staff ({by}){moved}."
    action = "booking_moved" if old else "installation_booked"
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(_request_key(stored), actions=actions, condition=unchanged)
            transaction.update(
                CrewItem(pk=CREWS_PK, sk=crew_sk(crew.crew_id)),
                actions=[CrewItem.bookings_revision.add(1)],
                condition=CrewItem.revision == crew.revision,
            )
            transaction.condition_check(
                DayOffItem, crew_days_pk(crew.crew_id), day_off_sk(text), condition=DayOffItem.pk.does_not_exist()
            )
            transaction.update(
                _day_key(crew.crew_id, text),
                actions=day_actions,
                condition=room & ~CrewDayItem.request_ids.contains(request_id),
            )
            transaction.save(audit_item(stored.order_id, action, detail, stored.ssr_id, at, repeatable=True))
            if old is not None:
                key, free, held = release_day(old, request_id)
                transaction.update(key, actions=free, condition=held)
            if also is not None:
                also(transaction, request_id, text, new_status)
    except TransactWriteError as exc:
        if also is not None and _last_refused(exc):
            raise AlsoRefused("What the caller adds to the booking could not be written.") from exc
        raise _refusal(exc, crew.crew_id, text) from exc
    return Booking(
        installation_request_id=request_id, crew_id=crew.crew_id, crew_name=crew.name, date=text, booked_at=at
    )


def _refusal(exc: TransactWriteError, crew_id: str, day: str) -> Exception:
    codes = cancellation_codes(exc)
    refused = {index for index, code in enumerate(codes) if code in CONDITION_FAILED_CODES}
    if refused & {_REQUEST, _OLD_DAY}:
        return RequestChanged("The installation request changed meanwhile; read it again.")
    if _CREW in refused:
        return _LostRace()
    if _DAY_OFF in refused:
        return CrewOff(f"Crew {crew_id} is off on {day}.")
    if _DAY in refused:
        return DayFull(f"Crew {crew_id} is fully booked on {day}.")
    if set(codes) & TRANSIENT_CODES:
        return _LostRace()
    return storage_error(exc)


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not security


def book(request_id: str, wanted: BookingIn, by: str, *, also: AlsoWrite | None = None) -> Booking:
    """`PUT /installation-requests/{id}/booking`: that crew and date, or (neither given) the first free slot."""
    if wanted.crew_id is None or wanted.date is None:
        return _book_first_free(request_id, by, also)
    day = calendar.parse_day(wanted.date)
    for attempt in range(_ATTEMPTS):
        stored = records.get_installation_request(request_id)
        _bookable(stored)
        crew = crews.crew_item(wanted.crew_id)
        _fits(stored, crew, day)
        if stored.booking is not None and (stored.booking.crew_id, stored.booking.date) == (crew.crew_id, wanted.date):
            return _as_booking(stored)
        try:
            return _commit(stored, crew, day, by, also)
        except _LostRace:
            _pause(attempt)
    raise errors.UpstreamUnavailable("The crew's bookings kept changing; try again.")


def _book_first_free(request_id: str, by: str, also: AlsoWrite | None = None) -> Booking:
    """The first slot `slots` lists from tomorrow; a slot lost to another booking moves on to the next, and the
    slots are read again when all were lost, so this never refuses while a free slot exists."""
    for attempt in range(_ROUNDS):
        stored = records.get_installation_request(request_id)
        _bookable(stored)
        window = calendar.window(None, calendar.MAX_WINDOW_DAYS, calendar.tomorrow())
        free = slots.open_slots(stored.branch_id, stored.request.installation_type, window)
        if not free:
            raise errors.Unprocessable(f"No crew has a free slot for this request in the next {len(window)} days.")
        for slot in free:
            current = stored.booking
            if current is not None and (current.crew_id, current.date) == (slot.crew.crew_id, slot.day.isoformat()):
                return _as_booking(stored)
            try:
                return _commit(stored, slot.crew, slot.day, by, also)
            except (DayFull, CrewOff, _LostRace):
                continue
        _pause(attempt)
    raise errors.UpstreamUnavailable("Every free slot was taken while this request was booked; try again.")


def unbook(request_id: str, by: str, *, also: AlsoWrite | None = None) -> None:
    """`DELETE …/booking`: the day freed, installation_date cleared, scheduled → pending, audited, in one
    transaction."""
    stored = records.get_installation_request(request_id)
    booking = stored.booking
    if booking is None:
        raise errors.NotFound(f"Installation request {request_id} has no booking.")
    at = iso(now())
    item = InstallationRequestItem
    actions: list[Action] = [*release_request_actions(), item.installation_date.remove(), item.updated_at.set(at)]
    new_status = InstallationStatus.PENDING if stored.request.status == InstallationStatus.SCHEDULED else None
    if new_status is not None:
        actions.append(item.status.set(new_status.value))
    unchanged = (item.status == stored.request.status.value) & holds_booking(stored)
    detail = f"Booking on crew {booking.crew_id} for {booking.date} cancelled by staff ({by})."
    key, free, held = release_day(booking, request_id)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(_request_key(stored), actions=actions, condition=unchanged)
            transaction.update(key, actions=free, condition=held)
            transaction.save(
                audit_item(stored.order_id, "booking_cancelled", detail, stored.ssr_id, at, repeatable=True)
            )
            if also is not None:
                also(transaction, request_id, None, new_status)
    except TransactWriteError as exc:
        if also is not None and _last_refused(exc):
            raise AlsoRefused("What the caller adds to the un-booking could not be written.") from exc
        if set(cancellation_codes(exc)) & CONDITION_FAILED_CODES:
            raise RequestChanged("The installation request changed meanwhile; read it again.") from exc
        raise storage_error(exc) from exc
