"""An installation request's status: who may move it where, and the one transaction that moves it with its OpenSolar
link's copy and an audit entry.

pending → scheduled → in_progress → completed, and cancelled from any of the first three (contract.md). Staff move one
step forward or back anywhere within the first three; OpenSolar, the source of truth for a sold project's stage,
moves it forward only, by as many steps as its stage says. completed and cancelled are final.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from solar_core import errors
from solar_core.aws_errors import CONDITION_FAILED_CODES, cancellation_codes, storage_error
from solar_core.installations.statuses import InstallationStatus
from solar_core.installations.tables import AuditItem, InstallationRequestItem, ssr_pk
from solar_core.opensolar.tables import LINK_SK, LinkItem, link_pk
from solar_core.transactions import idempotent_write

PENDING, SCHEDULED, IN_PROGRESS, COMPLETED, CANCELLED = (
    InstallationStatus.PENDING,
    InstallationStatus.SCHEDULED,
    InstallationStatus.IN_PROGRESS,
    InstallationStatus.COMPLETED,
    InstallationStatus.CANCELLED,
)
OPEN = (PENDING, SCHEDULED, IN_PROGRESS)
FINAL = (COMPLETED, CANCELLED)
_PROGRESS = {PENDING: 0, SCHEDULED: 1, IN_PROGRESS: 2, COMPLETED: 3}


def staff_may_move(old: InstallationStatus, new: InstallationStatus) -> bool:
    """One step forward, back anywhere within the first three, or cancelled from them; nothing out of a final one."""
    if old in FINAL or old == new:
        return False
    if new == CANCELLED:
        return True
    if new in OPEN and _PROGRESS[new] < _PROGRESS[old]:
        return True
    return _PROGRESS[new] == _PROGRESS[old] + 1


def opensolar_may_move(old: InstallationStatus, new: InstallationStatus) -> bool:
    """Forward only (by any number of steps), or cancelled from the first three."""
    if old in FINAL or old == new:
        return False
    return new == CANCELLED or _PROGRESS[new] > _PROGRESS[old]


class AlreadyApplied(errors.Conflict):
    """An `extra` update's condition failed: what it records (a webhook delivery processed) was done before."""


def allowed_from(old: InstallationStatus) -> list[str]:
    return [status.value for status in InstallationStatus if staff_may_move(old, status)]


@dataclass
class RequestChange:
    """What one transaction changes about an installation request and its link, with the audit entries saying so."""

    request: InstallationRequestItem
    new_status: InstallationStatus | None = None
    request_actions: list[Action] = field(default_factory=list)
    link_actions: list[Action] = field(default_factory=list)
    link_condition: Condition | None = None
    # What else the request must still be, besides its status (a cancel that frees a booking: the same booking).
    request_condition: Condition | None = None
    audit: list[AuditItem] = field(default_factory=list)
    extra: list[tuple[Model, list[Action], Condition | None]] = field(default_factory=list)


def save(change: RequestChange, *, at: str) -> None:
    """One transaction: the request when it changes (conditioned on the status it was read with), its link's copy,
    the audit entries and any `extra` update (a webhook delivery marked processed). Conflict when anything moved
    meanwhile."""
    request = change.request
    request_actions = list(change.request_actions)
    link_actions = list(change.link_actions)
    if change.new_status is not None:
        request_actions.append(InstallationRequestItem.status.set(change.new_status.value))
        link_actions.append(LinkItem.installation_status.set(change.new_status.value))
    key = InstallationRequestItem(pk=ssr_pk(request.ssr_id), sk=f"IR#{request.installation_request_id}")
    first_extra = int(bool(request_actions)) + int(bool(link_actions)) + len(change.audit)
    try:
        with idempotent_write() as transaction:
            if request_actions:
                request_actions.append(InstallationRequestItem.updated_at.set(at))
                expected = InstallationRequestItem.status == request.status
                if change.request_condition is not None:
                    expected &= change.request_condition
                transaction.update(key, actions=request_actions, condition=expected)
            if link_actions:
                link = LinkItem(pk=link_pk(request.installation_request_id), sk=LINK_SK)
                linked = change.link_condition if change.link_condition is not None else LinkItem.pk.exists()
                transaction.update(link, actions=link_actions, condition=linked)
            for entry in change.audit:
                transaction.save(entry)
            for model, actions, guard in change.extra:
                transaction.update(model, actions=actions, condition=guard)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if set(codes[first_extra:]) & CONDITION_FAILED_CODES:
            raise AlreadyApplied("This change was applied before.") from exc
        if set(codes) & CONDITION_FAILED_CODES:
            raise errors.Conflict("The installation request changed meanwhile.") from exc
        raise storage_error(exc) from exc
