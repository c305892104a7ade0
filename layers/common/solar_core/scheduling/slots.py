"""Free slots for an installation request and a crew's schedule, read a crew's window in one query each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from solar_core.aws_errors import storage_edge
from solar_core.installations import ids, records
from solar_core.installations.statuses import SystemType
from solar_core.installations.tables import InstallationRequestItem, plain, ssr_pk
from solar_core.orders.models import Address
from solar_core.scheduling import calendar, crews
from solar_core.scheduling.models import Schedule, ScheduleEntry, Slot, SlotList
from solar_core.scheduling.tables import CREWS_PK, CrewDayItem, CrewItem, DayOffItem


@dataclass(frozen=True)
class OpenSlot:
    """A crew's day with room left, with the crew as it was read (a booking is conditioned on it)."""

    crew: CrewItem
    day: date
    remaining: int

    def as_slot(self) -> Slot:
        return Slot(
            date=self.day.isoformat(), crew_id=self.crew.crew_id, crew_name=self.crew.name, remaining=self.remaining
        )


@storage_edge
def _crews_for(branch_id: str, skill: SystemType) -> list[CrewItem]:
    items = CrewItem.query(CREWS_PK, filter_condition=CrewItem.branch_id == branch_id)
    return [item for item in items if isinstance(item, CrewItem) and item.active and skill.value in item.skills]


def open_slots(branch_id: str, skill: SystemType, days: list[date]) -> list[OpenSlot]:
    """The branch's active crews with the skill, on their working days, not off, with room; earliest date first,
    then crew id. One query for the crews and one per crew for its window."""
    found: list[OpenSlot] = []
    for crew in _crews_for(branch_id, skill):
        booked: dict[str, int] = {}
        off: set[str] = set()
        for item in crews.crew_days(crew.crew_id, days[0], days[-1]):
            if isinstance(item, CrewDayItem):
                booked[item.date] = int(item.booked)
            elif isinstance(item, DayOffItem):
                off.add(item.date)
        for day in days:
            text = day.isoformat()
            remaining = int(crew.installs_per_day) - booked.get(text, 0)
            if calendar.weekday_of(day) in crew.working_days and text not in off and remaining > 0:
                found.append(OpenSlot(crew, day, remaining))
    return sorted(found, key=lambda slot: (slot.day, slot.crew.crew_id))


def slots_for_request(request_id: str, start: str | None, days: int | None) -> SlotList:
    """`GET /installation-requests/{id}/slots`: from tomorrow by default; days before tomorrow cannot be booked, so
    none is listed."""
    stored = records.get_installation_request(request_id)
    first_bookable = calendar.tomorrow()
    window = [day for day in calendar.window(start, days, first_bookable) if day >= first_bookable]
    if not window:
        return SlotList(items=[])
    slots = open_slots(stored.branch_id, stored.request.installation_type, window)
    return SlotList(items=[slot.as_slot() for slot in slots])


@storage_edge
def _requests(request_ids: list[str]) -> dict[str, InstallationRequestItem]:
    keys = [(ssr_pk(ids.ssr_id_of(rid)), f"IR#{rid}") for rid in request_ids]
    return {item.installation_request_id: item for item in InstallationRequestItem.batch_get(keys)}


def crew_schedule(crew_id: str, start: str | None, days: int | None) -> Schedule:
    """`GET /crews/{id}/schedule`: the crew's bookings by date (from today by default), with each request's current
    customer, address and status (one query for the window, one batch read for the requests)."""
    crews.crew_item(crew_id)
    window = calendar.window(start, days, calendar.today())
    booked = [
        (item.date, rid)
        for item in crews.crew_days(crew_id, window[0], window[-1])
        if isinstance(item, CrewDayItem)
        for rid in sorted(item.request_ids or [])
    ]
    requests = _requests([rid for _, rid in booked]) if booked else {}
    entries = [
        ScheduleEntry(
            date=day,
            installation_request_id=rid,
            customer_name=requests[rid].customer_name,
            address=Address.model_validate(plain(requests[rid].address)),
            status=requests[rid].status,
        )
        for day, rid in sorted(booked)
        if rid in requests
    ]
    return Schedule(items=entries)
