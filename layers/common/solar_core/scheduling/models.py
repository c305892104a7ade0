"""The scheduling routes' bodies and answers (contract.md, "Installation scheduling")."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, WithJsonSchema, model_validator

from solar_core.catalog.storable import JsonNumber
from solar_core.installations.statuses import InstallationStatus, SystemType
from solar_core.lazy_model import LazyModel
from solar_core.orders.models import Address
from solar_core.scheduling.calendar import MON_TO_FRI, WEEKDAYS, Weekday

MAX_INSTALLS_PER_DAY = 50

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
# A calendar day as the contract writes it; documented as a JSON Schema date (which is what it must be to pass).
Day = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), WithJsonSchema({"type": "string", "format": "date"})
]


class CrewIn(LazyModel):
    """`PUT /crews/{id}`: the whole crew (absent optional fields take their defaults)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    branch_id: Id
    skills: list[SystemType] = Field(min_length=1)
    installs_per_day: Annotated[int, Field(ge=1, le=MAX_INSTALLS_PER_DAY), JsonNumber] = 1  # 31.0 is an integer
    working_days: list[Weekday] = Field(default_factory=lambda: list(MON_TO_FRI), min_length=1)
    active: StrictBool = True

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        self.skills = sorted(set(self.skills), key=list(SystemType).index)
        self.working_days = sorted(set(self.working_days), key=WEEKDAYS.index)
        return self


class Crew(LazyModel):
    crew_id: str
    name: str
    branch_id: str
    skills: list[SystemType]
    installs_per_day: int
    working_days: list[Weekday]
    active: bool


class CrewList(LazyModel):
    items: list[Crew]


class DayOffIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class DayOff(LazyModel):
    crew_id: str
    date: str
    reason: str | None


class ScheduleEntry(LazyModel):
    date: str
    installation_request_id: str
    customer_name: str
    address: Address
    status: InstallationStatus


class Schedule(LazyModel):
    items: list[ScheduleEntry]


class Slot(LazyModel):
    date: str
    crew_id: str
    crew_name: str
    remaining: int


class SlotList(LazyModel):
    items: list[Slot]


class BookingIn(LazyModel):
    """Both fields for that slot, neither for the first free one."""

    model_config = ConfigDict(extra="forbid")

    crew_id: Id | None = None
    date: Day | None = Field(default=None, description="YYYY-MM-DD")

    @model_validator(mode="before")
    @classmethod
    def _ids_as_strings(cls, values: Any) -> Any:
        # contract.md: a JSON number given as an id is its decimal string.
        if (
            isinstance(values, dict)
            and isinstance(values.get("crew_id"), int)
            and not isinstance(values["crew_id"], bool)
        ):
            return {**values, "crew_id": str(values["crew_id"])}
        return values

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.crew_id is None) != (self.date is None):
            raise ValueError("give both crew_id and date, or neither for the first free slot")
        return self


class Booking(LazyModel):
    installation_request_id: str
    crew_id: str
    crew_name: str
    date: str
    booked_at: str


class StrandedBooking(LazyModel):
    """A booking a refused change would strand: the one staff must move first."""

    installation_request_id: str
    date: str
