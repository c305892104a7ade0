"""An installation request's link to its OpenSolar project: created once, leased by one sync at a time, and changed
only together with its sync log entry and the stats counters (one transaction), so the three always agree.

Every change of `sync_status` is conditioned on the status it read, so the counters move exactly once per change
however many syncs, retries and API calls race.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DoesNotExist, GetError, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_clients import client
from solar_core.aws_errors import (
    CONDITION_FAILED_CODES,
    cancellation_codes,
    error_code,
    item_at_failure,
    storage_error,
    upstream_error,
)
from solar_core.installations.clock import iso, now
from solar_core.installations.tables import AddressMap, as_map
from solar_core.opensolar.api.bodies import OpenSolarProject
from solar_core.opensolar.outbound.messages import SyncReason, SyncRequest
from solar_core.opensolar.tables import (
    LINK_SK,
    LOG_PREFIX,
    IntegrationItem,
    LinkItem,
    StageMap,
    StatsItem,
    SyncLogItem,
    link_pk,
)
from solar_core.settings import get_settings
from solar_core.transactions import idempotent_write

if TYPE_CHECKING:  # only signatures name them: importing the models module costs every sync's cold start
    from solar_core.installations.models import InstallationRequest
    from solar_core.installations.records import RecordSet

logger = Logger(child=True)

LOG_RETENTION = timedelta(days=90)
PENDING, SYNCED, FAILED = "pending", "synced", "failed"
READ = "read"  # the outcome of a live read that succeeded (it syncs nothing, so the sync counters skip it)
SYNC_STATUSES = (PENDING, SYNCED, FAILED)
_STATUS_COUNTER = {PENDING: StatsItem.links_pending, SYNCED: StatsItem.links_synced, FAILED: StatsItem.links_failed}


class LinkMissing(errors.NotFound):
    """No link exists for the installation request yet."""


class LeaseHeld(errors.UpstreamUnavailable):
    """Another sync of the same installation request is running; `retry_after_s` is when its lease ends."""


class LinkChanged(errors.Conflict):
    """The link moved on since it was read (another writer, or our lease ran out)."""


def _key(installation_request_id: str) -> dict[str, Any]:
    return {"pk": {"S": link_pk(installation_request_id)}, "sk": {"S": LINK_SK}}


def _link(installation_request_id: str) -> LinkItem:
    return LinkItem(pk=link_pk(installation_request_id), sk=LINK_SK)


# ---------------------------------------------------------------- creation and reads


def new_link(request: InstallationRequest, *, ssr_id: str, order_id: str, created_at: str | None = None) -> LinkItem:
    """A pending link for an installation request (what the OpenSolar project will be made from)."""
    return LinkItem(
        pk=link_pk(request.id),
        sk=LINK_SK,
        installation_request_id=request.id,
        ssr_id=ssr_id,
        order_id=order_id,
        installation_type=request.installation_type.value,
        customer_name=request.customer_name,
        address=as_map(AddressMap, request.address.model_dump()),
        installation_status=request.status.value,
        created_at=created_at or iso(now()),
        sync_status=PENDING,
        retry_count=0,
    )


def add_to(transaction: TransactWrite, link: LinkItem) -> None:
    """Adds the link's creation (counted pending) to a transaction; the transaction fails if the link exists."""
    transaction.save(link, condition=LinkItem.pk.does_not_exist())
    transaction.update(StatsItem(), actions=[StatsItem.links_pending.add(1)])


def add_for_record_set(transaction: TransactWrite, record_set: RecordSet) -> None:
    """Adds a new record set's installation request link (pending) to the record set's own transaction, so every
    request is listed and can be synced from the moment it exists."""
    ssr = record_set.ssr
    link = new_link(
        record_set.installation_request, ssr_id=ssr.ssr_id, order_id=ssr.order_id, created_at=ssr.created_at
    )
    add_to(transaction, link)


def ensure_link(link: LinkItem) -> bool:
    """Creates the link (and counts it pending) unless it exists; True when this call created it."""
    try:
        with idempotent_write() as transaction:
            add_to(transaction, link)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes and codes[0] in CONDITION_FAILED_CODES:
            return False
        raise storage_error(exc) from exc
    return True


def get_link(installation_request_id: str, *, consistent: bool = False) -> LinkItem:
    try:
        return LinkItem.get(link_pk(installation_request_id), LINK_SK, consistent_read=consistent)
    except DoesNotExist:
        raise LinkMissing(f"No OpenSolar link for installation request {installation_request_id}.") from None
    except GetError as exc:
        raise storage_error(exc) from exc


def sync_request(link: LinkItem, reason: SyncReason, *, force: bool = False) -> SyncRequest:
    """The SyncQueue message that syncs this link."""
    return SyncRequest(
        installation_request_id=link.installation_request_id,
        ssr_id=link.ssr_id,
        order_id=link.order_id,
        reason=reason,
        force=force,
    )


def link_of_project(project_id: int) -> LinkItem | None:
    """The link of an OpenSolar project (index ByOpenSolarProject); the oldest when a duplicate was ever linked."""
    try:
        found = [
            item for item in IntegrationItem.by_opensolar_project.query(str(project_id)) if isinstance(item, LinkItem)
        ]
    except QueryError as exc:
        raise storage_error(exc) from exc
    return min(found, key=lambda link: link.created_at) if found else None


# ---------------------------------------------------------------- the lease one sync holds


@dataclass(frozen=True)
class Lease:
    """This sync's hold on a link; `link` is the link as it was when the lease was taken."""

    installation_request_id: str
    owner: str
    link: LinkItem
    taken_at: datetime = field(compare=False)


def take_lease(installation_request_id: str, *, duration: timedelta, creating: bool) -> Lease:
    """Holds the link for one sync. With `creating`, also records that a create may be sent from now on.

    The create mark is written before any POST, so after a lost answer the next attempt knows to look the
    identifier up instead of creating a second project. Raises LinkMissing, or LeaseHeld while another sync holds it.
    """
    taken_at = now()
    owner = secrets.token_hex(8)
    expression = "SET lease_until = :until, lease_owner = :owner, last_attempt_at = :now"
    if creating:
        expression += ", create_attempted_at = if_not_exists(create_attempted_at, :now)"
    values = {":until": iso(taken_at + duration), ":owner": owner, ":now": iso(taken_at)}
    try:
        answer = client("dynamodb").update_item(
            TableName=get_settings().integration_table,
            Key=_key(installation_request_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeValues=_serialised(values),
            ReturnValues="ALL_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if error_code(exc) not in CONDITION_FAILED_CODES:
            raise upstream_error(exc, "DynamoDB") from exc
        held = item_at_failure(exc)
        if not held:
            raise LinkMissing(f"No OpenSolar link for installation request {installation_request_id}.") from exc
        if held.get("lease_owner", {}).get("S") != owner:
            until = datetime.fromisoformat(held["lease_until"]["S"].replace("Z", "+00:00"))
            wait = max(1.0, (until - taken_at).total_seconds())
            raise LeaseHeld("Another sync of this installation request is running.", retry_after_s=wait) from exc
        # Our own update, applied before its answer was lost and botocore sent it again: the lease is ours. The link
        # read back carries our create mark, so the sync looks the identifier up before creating (the safe way).
        attributes = held
    except BotoCoreError as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    else:
        attributes = answer["Attributes"]
    link = IntegrationItem.from_raw_data(attributes)
    assert isinstance(link, LinkItem)
    return Lease(installation_request_id, owner, link, taken_at)


def release(lease: Lease) -> None:
    """Lets go of the link without changing it (nothing was attempted, or the attempt is being retried)."""
    try:
        _link(lease.installation_request_id).update(
            actions=[LinkItem.lease_until.remove(), LinkItem.lease_owner.remove()],
            condition=LinkItem.lease_owner == lease.owner,
        )
    except UpdateError as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc


# ---------------------------------------------------------------- what OpenSolar says about the project


def snapshot_actions(link: LinkItem, project: OpenSolarProject) -> list[Action]:
    """The link's copy of the project's stage and dates, unless the link holds a newer state already.

    OpenSolar's `modified_date` orders snapshots: an older answer (a slow read, a late webhook) changes nothing.
    """
    stored = _parsed(link.opensolar_modified_at)
    if stored is not None and (project.modified_date is None or project.modified_date < stored):
        return []
    actions: list[Action] = []
    if project.modified_date is not None:
        actions.append(LinkItem.opensolar_modified_at.set(project.modified_date.isoformat()))
    workflow = project.workflow
    if workflow is not None or project.stage is not None:
        stage = StageMap(  # type: ignore[no-untyped-call]
            workflow_id=workflow.workflow_id if workflow else None,
            active_stage_id=workflow.active_stage_id if workflow else None,
            milestone=project.stage,
        )
        actions.append(LinkItem.opensolar_stage.set(stage))
    contract = project.contract_date or project.sold_date
    if contract is not None:
        actions.append(LinkItem.contract_signed_at.set(iso(contract)))
    if project.installation_date is not None:
        actions.append(LinkItem.installation_date.set(project.installation_date.date().isoformat()))
    return actions


def _parsed(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else None


# ---------------------------------------------------------------- what an attempt changes


@dataclass
class AttemptRecord:
    """One sync attempt as its log entry and the counters record it."""

    operation: str  # create, update, lookup, read
    outcome: str  # synced, failed, throttled, retrying, deferred
    duration_ms: float
    http_status: int | None = None
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.outcome in (SYNCED, READ)


def log_item(installation_request_id: str, attempt: AttemptRecord, at: datetime) -> SyncLogItem:
    return SyncLogItem(
        pk=link_pk(installation_request_id),
        sk=f"{LOG_PREFIX}{iso(at)}#{secrets.token_hex(2)}",
        at=iso(at),
        operation=attempt.operation,
        success=attempt.success,
        outcome=attempt.outcome,
        duration_ms=round(attempt.duration_ms, 1),
        http_status=attempt.http_status,
        error=attempt.error[:1000] if attempt.error else None,
        expires_at=at + LOG_RETENTION,
    )


def _attempt_counters(attempt: AttemptRecord) -> list[Action]:
    if attempt.outcome == SYNCED:
        return [StatsItem.attempts_succeeded.add(1), StatsItem.succeeded_ms_total.add(round(attempt.duration_ms))]
    if attempt.outcome == "throttled":
        return [StatsItem.attempts_throttled.add(1)]
    if attempt.outcome in (FAILED, "retrying"):
        return [StatsItem.attempts_failed.add(1)]
    return []


def _status_counters(old: str, new: str | None) -> list[Action]:
    if new is None or new == old:
        return []
    return [_STATUS_COUNTER[old].add(-1), _STATUS_COUNTER[new].add(1)]


def commit(
    lease: Lease,
    *,
    attempt: AttemptRecord | None,
    actions: Sequence[Action],
    new_status: str | None = None,
    keep_lease: bool = False,
) -> None:
    """Applies `actions` (and the move to `new_status`) to the leased link, with the attempt's log entry and counters,
    in one transaction, and lets go of the lease unless `keep_lease`.

    Raises LinkChanged when the lease was lost (it ran out and another sync took the link).
    """
    old = lease.link.sync_status
    at = now()
    changes = list(actions)
    if new_status is not None:
        changes.append(LinkItem.sync_status.set(new_status))
    if not keep_lease:
        changes += [LinkItem.lease_until.remove(), LinkItem.lease_owner.remove()]
    counters = _status_counters(old, new_status) + (_attempt_counters(attempt) if attempt else [])
    condition: Condition = (LinkItem.lease_owner == lease.owner) & (LinkItem.sync_status == old)
    _transact(
        lease.installation_request_id, changes=changes, condition=condition, counters=counters, attempt=attempt, at=at
    )


def change_status(
    installation_request_id: str, *, old: str, new: str, actions: Sequence[Action], extra: Condition | None = None
) -> None:
    """Moves an unleased link from `old` to `new` with `actions` (the hourly retry, an operator); LinkChanged when it
    is not in `old` any more (or `extra` does not hold)."""
    condition: Condition = (LinkItem.sync_status == old) & LinkItem.lease_owner.does_not_exist()
    if extra is not None:
        condition &= extra
    changes = [*actions, LinkItem.sync_status.set(new)]
    counters = _status_counters(old, new)
    _transact(installation_request_id, changes=changes, condition=condition, counters=counters, attempt=None, at=now())


def _transact(
    installation_request_id: str,
    *,
    changes: list[Action],
    condition: Condition,
    counters: list[Action],
    attempt: AttemptRecord | None,
    at: datetime,
) -> None:
    try:
        with idempotent_write() as transaction:
            transaction.update(_link(installation_request_id), actions=changes, condition=condition)
            if counters:
                transaction.update(StatsItem(), actions=counters)
            if attempt is not None:
                transaction.save(log_item(installation_request_id, attempt, at))
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes and codes[0] in CONDITION_FAILED_CODES:
            raise LinkChanged("The OpenSolar link changed meanwhile.") from exc
        raise storage_error(exc) from exc


def write_log(installation_request_id: str, attempt: AttemptRecord) -> None:
    """A log entry and its counters for an attempt that changes no link (e.g. a live read)."""
    at = now()
    try:
        with idempotent_write() as transaction:
            transaction.save(log_item(installation_request_id, attempt, at))
            counters = _attempt_counters(attempt)
            if counters:
                transaction.update(StatsItem(), actions=counters)
    except TransactWriteError as exc:
        raise storage_error(exc) from exc


def _serialised(values: dict[str, Any]) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in values.items()}
