"""The scheduler's items in the Installations table, keyed so a crew's days in a window are one query.

| pk | sk | kind |
| --- | --- | --- |
| `CREWS` | `CREW#<crew_id>` | a crew: branch, skills, installs per day, working days, active, revisions |
| `CREW#<crew_id>` | `DAY#<date>` | the crew's bookings that day: `booked` (a count) and `request_ids` |
| `CREW#<crew_id>` | `DAY#<date>#OFF` | the crew's day off |

The booking itself (crew, date, when) lives on the installation request's item (installations/tables.py).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.models import Model

from solar_core.settings import get_settings

CREWS_PK = "CREWS"


def crew_sk(crew_id: str) -> str:
    return f"CREW#{crew_id}"


def crew_days_pk(crew_id: str) -> str:
    return f"CREW#{crew_id}"


def day_sk(day: str) -> str:
    return f"DAY#{day}"


def day_off_sk(day: str) -> str:
    return f"DAY#{day}#OFF"


class SchedulingItem(Model):
    """Base of the scheduler's items; `kind` tells which one a raw item is."""

    class Meta:
        table_name = get_settings().installations_table
        region = get_settings().aws_region

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()


class CrewItem(SchedulingItem, discriminator="crew"):
    crew_id = UnicodeAttribute()
    name = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    skills = ListAttribute[str]()
    installs_per_day = NumberAttribute()
    working_days = ListAttribute[str]()
    active = BooleanAttribute()
    # Bumped by every PUT: a booking is conditioned on the crew being as it was read.
    revision = NumberAttribute(default=1)
    # Bumped by every booking: a crew change is conditioned on no booking having landed since it looked.
    bookings_revision = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()


class CrewDayItem(SchedulingItem, discriminator="crew_day"):
    crew_id = UnicodeAttribute()
    date = UnicodeAttribute()
    booked = NumberAttribute(default=0)
    request_ids = UnicodeSetAttribute(null=True)


class DayOffItem(SchedulingItem, discriminator="day_off"):
    crew_id = UnicodeAttribute()
    date = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
