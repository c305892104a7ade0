"""`PATCH /installation-requests/{id}`: staff move an installation request, set its installation date, add a note;
each change gets an audit entry, and a status named in `status_map` is pushed to the linked OpenSolar project
(design.md flow 8) through SyncQueue, so the push is paced and logged like any other write."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from solar_core import errors
from solar_core.installations import records
from solar_core.installations.audit import audit_item
from solar_core.installations.clock import iso, now
from solar_core.installations.statuses import InstallationStatus, SystemType
from solar_core.installations.tables import InstallationRequestItem
from solar_core.opensolar import backfill, links, request_status
from solar_core.opensolar.config import load_config
from solar_core.opensolar.outbound import messages
from solar_core.opensolar.outbound.messages import SyncReason
from solar_core.opensolar.tables import LinkItem
from solar_core.orders.models import Address
from solar_core.scheduling import bookings


class InstallationRequestPatch(BaseModel):
    """The body: at least one of the three, none of them null (leave a field out to leave it alone)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    status: InstallationStatus | SkipJsonSchema[None] = None
    installation_date: date | SkipJsonSchema[None] = Field(default=None, description="YYYY-MM-DD")
    note: str | SkipJsonSchema[None] = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _given_as_written(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        nulls = sorted(name for name, value in values.items() if value is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)}: null is not a value here; leave the field out instead")
        # A date is "YYYY-MM-DD" only: pydantic would also take a unix time or a datetime string.
        given = values.get("installation_date")
        if given is not None and not (isinstance(given, str) and len(given) == 10):
            raise ValueError("installation_date must be a date written YYYY-MM-DD")
        return values

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.status is None and self.installation_date is None and self.note is None:
            raise ValueError("give status, installation_date or note")
        return self


class InstallationRequestView(BaseModel):
    """The answer (contract.md)."""

    id: str
    status: InstallationStatus
    installation_type: SystemType
    customer_name: str
    phone: str
    address: Address
    installation_date: str | None
    updated_at: str | None


def update_installation_request(request_id: str, patch: InstallationRequestPatch, by: str) -> InstallationRequestView:
    """Applies the patch in one transaction (request, its link's copy, audit entries); 409 for a move the contract
    does not allow, or when the request changed meanwhile."""
    stored = records.get_installation_request(request_id)
    link = backfill.link_for(request_id)
    current = stored.request.status
    at = iso(now())
    change = request_status.RequestChange(
        request=InstallationRequestItem(
            ssr_id=stored.ssr_id, installation_request_id=request_id, status=current.value, order_id=stored.order_id
        )
    )
    note = f" Note: {patch.note}" if patch.note else ""
    push = False
    if patch.status is not None and patch.status != current:
        if not request_status.staff_may_move(current, patch.status):
            raise errors.Conflict(_refusal(current, patch.status))
        change.new_status = patch.status
        detail = f"{current.value} → {patch.status.value} by staff ({by}).{note}"
        change.audit.append(audit_item(stored.order_id, "status_changed", detail, stored.ssr_id, at, repeatable=True))
        if patch.status == InstallationStatus.CANCELLED and stored.booking is not None:
            _free_booking(change, stored, by, at)
        config = load_config()
        push = config.is_active and patch.status in config.status_map
        if push:
            change.link_actions.append(LinkItem.push_pending.set(patch.status.value))
    if patch.installation_date is not None:
        day = patch.installation_date.isoformat()
        change.request_actions.append(InstallationRequestItem.installation_date.set(day))
        change.link_actions.append(LinkItem.installation_date.set(day))
        detail = f"Installation date set to {day} by staff ({by}).{note}"
        change.audit.append(
            audit_item(stored.order_id, "installation_date_set", detail, stored.ssr_id, at, repeatable=True)
        )
    if not change.audit and patch.note:
        detail = f"Note by staff ({by}): {patch.note}"
        change.audit.append(audit_item(stored.order_id, "note_added", detail, stored.ssr_id, at, repeatable=True))
    if change.audit:
        request_status.save(change, at=at)
    if push:
        _push(link)
    return view_of(request_id)


def _free_booking(
    change: request_status.RequestChange, stored: records.StoredInstallationRequest, by: str, at: str
) -> None:
    """A cancelled request gives its crew-day back in the same transaction (its installation date stays on record)."""
    assert stored.booking is not None
    change.request_actions += bookings.release_request_actions()
    change.request_condition = bookings.holds_booking(stored)
    change.extra.append(bookings.release_day(stored.booking, stored.request.id))
    detail = (
        f"Booking on crew {stored.booking.crew_id} for {stored.booking.date} freed: the request was cancelled ({by})."
    )
    change.audit.append(audit_item(stored.order_id, "booking_cancelled", detail, stored.ssr_id, at, repeatable=True))


def _push(link: LinkItem) -> None:
    """Queues the push; a request not in OpenSolar yet gets its stage with its first sync (the create carries it)."""
    if link.opensolar_project_id:
        messages.send(links.sync_request(link, SyncReason.PUSH))


def _refusal(current: InstallationStatus, wanted: InstallationStatus) -> str:
    if current in request_status.FINAL:
        return f"The installation request is {current.value}: that is final."
    allowed = ", ".join(request_status.allowed_from(current))
    return f"An installation request cannot go from {current.value} to {wanted.value}; from {current.value}: {allowed}."


def view_of(request_id: str) -> InstallationRequestView:
    stored = records.get_installation_request(request_id)
    request = stored.request
    return InstallationRequestView(
        id=request.id,
        status=request.status,
        installation_type=request.installation_type,
        customer_name=request.customer_name,
        phone=request.phone,
        address=request.address,
        installation_date=stored.installation_date,
        updated_at=stored.updated_at,
    )
