"""Syncing one installation request to OpenSolar: exactly one project, kept so under throttling, outages and lost
answers (design.md flow 4).

One sync holds the link's lease, so two deliveries of the same request never create twice at once. A create first
marks the link (before any POST); the next attempt after an uncertain failure looks the identifier up and links the
project it finds instead of creating another. Writes take a slot from the shared pacer, so a burst is spread out
rather than refused. What happened is decided here; the queue adapter turns it into acknowledge or come back later.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pynamodb.expressions.update import Action

from solar_core import errors
from solar_core.installations.clock import iso, now
from solar_core.installations.statuses import InstallationStatus, SystemType
from solar_core.opensolar import backfill, links
from solar_core.opensolar.api.bodies import (
    NewContact,
    NewProject,
    OpenSolarProject,
    ProjectFields,
    StageChange,
    WorkflowStage,
)
from solar_core.opensolar.api.client import OpenSolarClient, Reply, client_for
from solar_core.opensolar.api.errors import (
    OpenSolarRejected,
    OpenSolarThrottled,
    OpenSolarUnavailable,
    http_status_of,
)
from solar_core.opensolar.config import IntegrationConfig, StageRef, load_config
from solar_core.opensolar.links import FAILED, SYNCED, AttemptRecord, Lease
from solar_core.opensolar.outbound.messages import SyncReason, SyncRequest
from solar_core.opensolar.outbound.pacing import WritePacer, WriteSlotTooFar
from solar_core.opensolar.tables import LinkItem
from solar_core.orders import store as orders
from solar_core.orders.models import Customer

logger = Logger(child=True)

LEAD_SOURCE = "Solar backbone (WhatsApp & CRM)"
SYNCED_TYPES = frozenset({SystemType.SOLAR.value, SystemType.HYBRID.value})
# A create's answer may be lost while OpenSolar still saves it; its project is looked for among projects changed
# since the first create attempt, less this margin for the two clocks.
LOOKUP_MARGIN = timedelta(minutes=10)
_CALL_RESERVE_S = 1.0  # beyond the write itself (twice the timeout: a 401 gets one retry)
_MAX_DELAY_S = 900.0  # SQS's longest visibility change for this purpose (and its DelaySeconds limit)


class UnknownInstallationRequest(errors.InvalidInput):
    """The message names no stored installation request: retrying cannot help."""


@dataclass(frozen=True)
class Delivery:
    """How the queue delivered the message: the how-many-th receive, of how many, and the time the function has."""

    receive_count: int
    max_receives: int
    time_left_s: float

    @property
    def last(self) -> bool:
        return self.receive_count >= self.max_receives


@dataclass(frozen=True)
class Done:
    """Acknowledge the message: it was synced, found, skipped or marked failed (`detail` says which)."""

    detail: str
    attempt: AttemptRecord | None = None


@dataclass(frozen=True)
class ComeBack:
    """Leave the message in the queue and have it delivered again after `after_s` seconds."""

    after_s: float
    detail: str
    attempt: AttemptRecord | None = None


Outcome = Done | ComeBack


@dataclass(frozen=True)
class SyncContext:
    """What one sync works with; the defaults are the container's, tests pass their own."""

    config: IntegrationConfig
    client: OpenSolarClient
    pacer: WritePacer
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def current(cls) -> SyncContext:
        config = load_config()
        return cls(config, client_for(config), WritePacer(config.write_limit, config.write_window_s))


def sync_installation_request(request: SyncRequest, delivery: Delivery, context: SyncContext | None = None) -> Outcome:
    """Creates or updates the request's OpenSolar project; what the queue should do with the message."""
    context = context or SyncContext.current()
    config = context.config
    if not config.is_active:
        return Done("The OpenSolar integration is not active; nothing was sent.")
    if request.automatic and not config.auto_sync_enabled:
        return Done("Auto-sync is off; the installation request waits for a manual sync.")
    # The lease outlives the invocation by one API timeout: a request sent just before the function's end may still
    # be applied by OpenSolar until then.
    lease_time = timedelta(seconds=delivery.time_left_s + config.api_timeout_s)
    try:
        lease = _lease(request.installation_request_id, lease_time)
    except links.LeaseHeld as held:
        return ComeBack(held.retry_after_s or 30.0, "Another sync of this installation request is running.")
    try:
        return _sync_leased(request, delivery, context, lease)
    except BaseException:
        links.release(lease)
        raise


def _lease(installation_request_id: str, duration: timedelta) -> Lease:
    try:
        return links.take_lease(installation_request_id, duration=duration, creating=True)
    except links.LinkMissing:
        # Requests made before links existed, or a link lost: make it from the stored installation request.
        try:
            backfill.link_installation_request(installation_request_id)
        except errors.NotFound as exc:
            raise UnknownInstallationRequest(f"No installation request {installation_request_id}.") from exc
        return links.take_lease(installation_request_id, duration=duration, creating=True)


def _sync_leased(request: SyncRequest, delivery: Delivery, context: SyncContext, lease: Lease) -> Outcome:
    link = lease.link
    if link.installation_type not in SYNCED_TYPES:
        links.release(lease)
        return Done(f"A {link.installation_type} installation is not synced to OpenSolar.")
    pushing = request.reason is SyncReason.PUSH or bool(link.push_pending)
    if link.opensolar_project_id and link.sync_status == SYNCED and not (request.force or pushing):
        links.release(lease)
        return Done(f"Already synced to OpenSolar project {link.opensolar_project_id}.")
    if link.opensolar_project_id and pushing and not request.force:
        target = stage_for(link, context.config)
        if target is None:
            # Staff decided the push on a config this container may not have yet (each caches it for minutes):
            # dropping it on a stale status_map would lose the push for good, so ask once more, fresh.
            context = replace(context, config=load_config(refresh=True))
            target = stage_for(link, context.config)
        shown = link.opensolar_stage.active_stage_id if link.opensolar_stage else None
        if target is None or shown == target.active_stage_id:
            links.commit(lease, attempt=None, actions=[LinkItem.push_pending.remove()])
            return Done("Nothing to push: the status maps to no stage, or OpenSolar shows that stage already.")
    return _attempt(lease, delivery, context, push=pushing)


@dataclass
class _Step:
    """The OpenSolar operation under way (a lookup may turn into a create) and when it started."""

    operation: str
    started: float = field(default_factory=time.perf_counter)

    def begin(self, operation: str) -> None:
        self.operation, self.started = operation, time.perf_counter()

    def record(self, outcome: str, http_status: int | None = None, error: str | None = None) -> AttemptRecord:
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        return AttemptRecord(self.operation, outcome, elapsed_ms, http_status, error)


def _attempt(lease: Lease, delivery: Delivery, context: SyncContext, *, push: bool) -> Outcome:
    link = lease.link
    write = ("push" if push else "update") if link.opensolar_project_id else "create"
    step = _Step("lookup" if write == "create" and link.create_attempted_at else write)
    try:
        reply = _look_up_or_write(link, write, delivery, context, step)
    except WriteSlotTooFar as slot:
        links.release(lease)
        return ComeBack(slot.retry_after_s or 1.0, "Waiting for an OpenSolar write slot.")
    except OpenSolarThrottled as throttled:
        return _throttled(lease, context=context, step=step, error=throttled)
    except OpenSolarRejected as rejected:
        attempt = step.record(FAILED, rejected.http_status, rejected.message)
        _fail(lease, attempt)
        return Done(f"OpenSolar refused the {step.operation}: {rejected.message}", attempt)
    except OpenSolarUnavailable as unavailable:
        return _unavailable(lease, delivery=delivery, context=context, step=step, error=unavailable)
    return _linked(lease, reply, step.record(SYNCED, reply.http_status), stage_for(link, context.config))


def stage_for(link: LinkItem, config: IntegrationConfig) -> StageRef | None:
    """The OpenSolar stage our installation request's status is pushed as (`status_map`), if any."""
    return config.status_map.get(InstallationStatus(link.installation_status))


def _look_up_or_write(
    link: LinkItem, write: str, delivery: Delivery, context: SyncContext, step: _Step
) -> Reply[OpenSolarProject]:
    if step.operation == "lookup":
        found = _look_up_earlier_create(link, context)
        if found is not None:
            return found
    budget = delivery.time_left_s - 2 * context.config.api_timeout_s - _CALL_RESERVE_S
    context.sleep(context.pacer.reserve(max_wait_s=max(0.0, budget)))
    step.begin(write)
    return _write(write, link, context)


def _look_up_earlier_create(link: LinkItem, context: SyncContext) -> Reply[OpenSolarProject] | None:
    """After a create whose answer may have been lost: the project it made, if OpenSolar has it."""
    since = datetime.fromisoformat(str(link.create_attempted_at).replace("Z", "+00:00")) - LOOKUP_MARGIN
    found = context.client.find_by_identifier(link.installation_request_id, changed_since=since)
    if found is None:
        logger.info("no project carries the identifier yet; creating", extra=_ids(link))
        return None
    logger.info("found the project an earlier create made", extra={**_ids(link), "opensolar_project_id": found.id})
    return Reply(found, 200)


def _write(operation: str, link: LinkItem, context: SyncContext) -> Reply[OpenSolarProject]:
    client, target = context.client, stage_for(link, context.config)
    stage = WorkflowStage(workflow_id=target.workflow_id, active_stage_id=target.active_stage_id) if target else None
    if operation == "push" and stage is not None:
        return client.update_project(int(link.opensolar_project_id or 0), StageChange(workflow=stage))
    fields = project_fields(link)
    if operation != "create":
        return client.update_project(int(link.opensolar_project_id or 0), fields)
    new_project = NewProject(
        **fields.model_dump(),
        lead_source=LEAD_SOURCE,
        notes=f"Order {link.order_id}, service record {link.ssr_id}, {link.installation_type} installation.",
        workflow=stage,
        contacts_new=[_contact(link)],
    )
    return client.create_project(new_project)


def project_fields(link: LinkItem) -> ProjectFields:
    """The project's site as our records describe it, under our installation request id as its identifier."""
    address = link.address
    street = ", ".join(part for part in (address.street, address.suburb) if part)
    return ProjectFields(
        identifier=link.installation_request_id,
        is_residential=True,
        address=street,
        locality=address.city,
        state=address.province,
        zip=address.postal_code,
        country_iso2=address.country,
        lat=address.lat,
        lon=address.lon,
    )


def _contact(link: LinkItem) -> NewContact:
    """The customer as OpenSolar's contact, from the order (contact details are not copied into our link)."""
    try:
        customer: Customer | None = orders.get_customer(link.order_id)
    except errors.NotFound:
        customer = None
    if customer is None:
        first, _, family = link.customer_name.partition(" ")
        return NewContact(first_name=first, family_name=family)
    return NewContact(
        first_name=customer.first_name,
        family_name=customer.last_name,
        email=customer.email or "",
        phone=customer.phone,
    )


def _linked(lease: Lease, reply: Reply[OpenSolarProject], attempt: AttemptRecord, stage: StageRef | None) -> Outcome:
    project = reply.value
    at = iso(now())
    actions: list[Action] = [
        LinkItem.opensolar_project_id.set(str(project.id)),
        LinkItem.last_synced_at.set(at),
        LinkItem.retry_count.set(0),
        LinkItem.last_error.remove(),
        LinkItem.create_attempted_at.remove(),
        *links.snapshot_actions(lease.link, project),
    ]
    if stage is not None and attempt.operation in ("push", "create"):
        # What we set there; OpenSolar's webhook about it (the echo) will change nothing here.
        actions += [
            LinkItem.pushed_stage_id.set(stage.active_stage_id),
            LinkItem.pushed_at.set(at),
            LinkItem.push_pending.remove(),
        ]
    try:
        links.commit(lease, attempt=attempt, actions=actions, new_status=SYNCED)
    except links.LinkChanged:
        # Our lease ran out and another sync took over; it will find this project by its identifier.
        logger.warning("the link moved on while we synced", extra=_ids(lease.link))
    logger.info(
        "synced", extra={**_ids(lease.link), "operation": attempt.operation, "opensolar_project_id": project.id}
    )
    return Done(f"{attempt.operation}: OpenSolar project {project.id}.", attempt)


def _fail(lease: Lease, attempt: AttemptRecord) -> None:
    logger.warning("sync failed", extra={**_ids(lease.link), "operation": attempt.operation, "error": attempt.error})
    actions = [LinkItem.last_error.set(attempt.error or "failed")]
    try:
        links.commit(lease, attempt=attempt, actions=actions, new_status=FAILED)
    except links.LinkChanged:
        logger.warning("the link moved on while we synced", extra=_ids(lease.link))


def _throttled(lease: Lease, *, context: SyncContext, step: _Step, error: OpenSolarThrottled) -> Outcome:
    """A 429 is OpenSolar asking for time, not a failure: every container waits, this message comes back later
    (however many times: it is never marked failed for being throttled)."""
    wait = error.retry_after_s if error.retry_after_s is not None else context.config.throttle_backoff_s
    context.pacer.hold_until(time.time() + wait)
    attempt = step.record("throttled", 429, error.message)
    _record_and_release(lease, attempt)
    return ComeBack(min(_MAX_DELAY_S, max(1.0, wait)), "OpenSolar throttled the call.", attempt)


def _unavailable(
    lease: Lease, *, delivery: Delivery, context: SyncContext, step: _Step, error: OpenSolarUnavailable
) -> Outcome:
    """5xx, timeouts, lost connections: the queue tries again (backing off) until the receives are spent."""
    status = http_status_of(error)
    if delivery.last:
        attempt = step.record(FAILED, status, error.message)
        _fail(lease, attempt)
        return Done(f"Failed after {delivery.receive_count} deliveries: {error.message}", attempt)
    attempt = step.record("retrying", status, error.message)
    _record_and_release(lease, attempt)
    config = context.config
    backoff = config.retry_backoff_s * 2 ** (delivery.receive_count - 1) * random.uniform(0.8, 1.2)  # noqa: S311
    if error.uncertain and status is None:
        # We stopped waiting (a timeout, a dropped connection): the write may still be on its way. Give it time to
        # land before the lookup that decides whether to create. (A 5xx came after OpenSolar had finished with it.)
        backoff = max(backoff, 2 * config.api_timeout_s)
    return ComeBack(min(_MAX_DELAY_S, max(1.0, backoff)), error.message, attempt)


def _record_and_release(lease: Lease, attempt: AttemptRecord) -> None:
    try:
        links.commit(lease, attempt=attempt, actions=[LinkItem.last_error.set(attempt.error or attempt.outcome)])
    except links.LinkChanged:
        logger.warning("the link moved on while we synced", extra=_ids(lease.link))


def _ids(link: LinkItem) -> dict[str, str]:
    return {"installation_request_id": link.installation_request_id, "ssr_id": link.ssr_id, "order_id": link.order_id}
