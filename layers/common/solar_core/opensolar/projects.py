"""The projects API's use cases: list and read links, ask for syncs (one, or a selection), read a project live from
OpenSolar, and the sync logs. Lists are index queries, never scans."""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import QueryError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.pagination import ResultIterator

from solar_core import errors
from solar_core.aws_errors import storage_error
from solar_core.installations.clock import iso, now
from solar_core.installations.statuses import InstallationStatus
from solar_core.installations.tables import plain
from solar_core.opensolar import backfill, links
from solar_core.opensolar.api.client import client_for
from solar_core.opensolar.api.errors import OpenSolarRejected, OpenSolarThrottled, OpenSolarUnavailable, http_status_of
from solar_core.opensolar.config import load_config
from solar_core.opensolar.inbound.apply import OpenSolarState, apply_state
from solar_core.opensolar.links import FAILED, PENDING, READ, SYNCED, AttemptRecord
from solar_core.opensolar.models import (
    BulkSyncQueued,
    OpenSolarStage,
    Project,
    ProjectPage,
    RefusedId,
    SyncLogEntry,
    SyncLogList,
    SyncQueued,
)
from solar_core.opensolar.outbound import messages
from solar_core.opensolar.outbound.messages import SyncReason, SyncRequest
from solar_core.opensolar.tables import LOG_PREFIX, IntegrationItem, LinkItem, SyncLogItem, link_pk
from solar_core.orders.models import Address
from solar_core.paging import page_through

logger = Logger(child=True)

DEFAULT_PAGE = 50
MAX_PAGE = 100
MAX_LOGS = 100
# A second request for the same sync within this window is the same request (a double click, a retried POST).
REQUEST_DEDUPE = timedelta(seconds=10)
# With no filter, the list shows what needs attention first.
_UNFILTERED_ORDER = (FAILED, PENDING, SYNCED)


def as_project(link: LinkItem) -> Project:
    stage = plain(link.opensolar_stage) if link.opensolar_stage is not None else None
    return Project(
        id=link.installation_request_id,
        ssr_id=link.ssr_id,
        order_id=link.order_id,
        opensolar_project_id=link.opensolar_project_id,
        sync_status=link.sync_status,
        retry_count=int(link.retry_count or 0),
        last_synced_at=link.last_synced_at,
        last_error=link.last_error,
        status=InstallationStatus(link.installation_status),
        opensolar_stage=OpenSolarStage.model_validate(stage) if stage else None,
        proposal_url=link.proposal_url,
        contract_signed_at=link.contract_signed_at,
        installation_date=link.installation_date,
        customer_name=link.customer_name,
        address=Address.model_validate(plain(link.address)),
        installation_type=link.installation_type,
        created_at=link.created_at,
        last_attempt_at=link.last_attempt_at,
    )


# ---------------------------------------------------------------- reading


def get_project(installation_request_id: str) -> Project:
    return as_project(backfill.link_for(installation_request_id))


def list_projects(
    *, sync_status: str | None, status: str | None, limit: int = DEFAULT_PAGE, next_token: str | None = None
) -> ProjectPage:
    """One page of links, filtered by sync status and/or the installation request's status.

    Each filter is an index (BySyncStatus, ByInstallationStatus); with both, the first is the query and the second
    its filter. Without either, the failed come first, then the pending, then the synced.
    """
    filters = {"sync_status": sync_status, "status": status}
    by_sync: Any = IntegrationItem.by_sync_status
    by_status: Any = IntegrationItem.by_installation_status
    condition = LinkItem.installation_status == status if sync_status is not None and status is not None else None
    if sync_status is not None:
        keys = [(by_sync, sync_status)]
    elif status is not None:
        keys = [(by_status, status)]
    else:
        keys = [(by_sync, value) for value in _UNFILTERED_ORDER]
    partitions = [
        functools.partial(_query, index, key, condition)
        for index, key in keys  # one query per index partition
    ]
    links_found, token = page_through(partitions, kind=LinkItem, limit=limit, next_token=next_token, filters=filters)
    return ProjectPage(items=[as_project(item) for item in links_found], next_token=token)


def _query(
    index: Any, key: str, condition: Condition | None, limit: int, start_key: dict[str, Any] | None
) -> ResultIterator[Any]:
    results: ResultIterator[Any] = index.query(
        key, filter_condition=condition, limit=limit, last_evaluated_key=start_key
    )
    return results


def sync_logs(installation_request_id: str) -> SyncLogList:
    """The request's sync attempts, newest first (the last MAX_LOGS; older ones expire after 90 days)."""
    backfill.link_for(installation_request_id)
    try:
        found = SyncLogItem.query(
            link_pk(installation_request_id),
            SyncLogItem.sk.startswith(LOG_PREFIX),
            scan_index_forward=False,
            limit=MAX_LOGS,
        )
        entries = [
            SyncLogEntry(
                at=item.at,
                operation=item.operation,
                success=item.success,
                outcome=item.outcome,
                duration_ms=float(item.duration_ms),
                http_status=int(item.http_status) if item.http_status is not None else None,
                error=item.error,
            )
            for item in found
        ]
    except QueryError as exc:
        raise storage_error(exc) from exc
    return SyncLogList(items=entries)


# ---------------------------------------------------------------- asking for syncs


def request_sync(installation_request_id: str, *, force: bool) -> SyncQueued:
    """Queues a manual sync (auto-sync does not apply). 409 when the integration is off or, without `force`, when the
    project is synced already."""
    _require_active()
    link = backfill.link_for(installation_request_id)
    refusal = _refusal(link, force=force)
    if refusal:
        raise errors.Conflict(refusal)
    if _claim_request(link):
        messages.send(links.sync_request(link, SyncReason.MANUAL, force=force))
    return SyncQueued(queued=True)


def request_bulk_sync(ids: list[str], *, force: bool) -> BulkSyncQueued:
    """Queues a sync for each id that can have one; each refused id comes back with its reason."""
    _require_active()
    queued: list[str] = []
    rejected: list[RefusedId] = []
    requests: list[SyncRequest] = []
    for installation_request_id in dict.fromkeys(ids):
        try:
            link = backfill.link_for(installation_request_id)
        except errors.NotFound as missing:
            rejected.append(RefusedId(id=installation_request_id, reason=missing.message))
            continue
        refusal = _refusal(link, force=force)
        if refusal:
            rejected.append(RefusedId(id=installation_request_id, reason=refusal))
            continue
        queued.append(installation_request_id)
        if _claim_request(link):
            requests.append(links.sync_request(link, SyncReason.BULK, force=force))
    refused = set(messages.send_many(requests))
    rejected += [RefusedId(id=one, reason="The queue did not take the request; try again.") for one in refused]
    return BulkSyncQueued(queued=[one for one in queued if one not in refused], rejected=rejected)


def _require_active() -> None:
    if not load_config().is_active:
        raise errors.Conflict("The OpenSolar integration is not active; turn it on with PUT /opensolar/config.")


def _refusal(link: LinkItem, *, force: bool) -> str | None:
    if link.sync_status == SYNCED and not force:
        return f"Already synced to OpenSolar project {link.opensolar_project_id}; add ?force=true to sync it again."
    return None


def _claim_request(link: LinkItem) -> bool:
    """Records the request; False when the same one was made moments ago (its message is on its way).

    A failed link goes back to pending, so lists show it is being tried again.
    """
    at = now()
    recent = iso(at - REQUEST_DEDUPE)
    try:
        link.update(
            actions=[LinkItem.sync_requested_at.set(iso(at))],
            condition=LinkItem.sync_requested_at.does_not_exist() | (LinkItem.sync_requested_at < recent),
        )
    except UpdateError as exc:
        error = storage_error(exc)
        if isinstance(error, errors.Conflict):
            return False
        raise error from exc
    if link.sync_status == FAILED:
        try:
            links.change_status(link.installation_request_id, old=FAILED, new=PENDING, actions=[])
        except links.LinkChanged:
            logger.info("the link moved on meanwhile; the sync runs anyway")
    return True


# ---------------------------------------------------------------- live status


def live_status(installation_request_id: str) -> Project:
    """Reads the project from OpenSolar now and applies what it says as a webhook about it would be applied: the stage
    and dates kept, the installation request moved forward with an audit entry, an older state changing nothing, and
    nothing pushed back to OpenSolar."""
    link = backfill.link_for(installation_request_id)
    if not link.opensolar_project_id:
        raise errors.Conflict("This installation request is not in OpenSolar yet; sync it first.")
    config = load_config()
    client = client_for(config)
    started = time.perf_counter()
    try:
        reply = client.get_project(int(link.opensolar_project_id))
    except (OpenSolarUnavailable, OpenSolarThrottled, OpenSolarRejected) as exc:
        outcome = "throttled" if isinstance(exc, OpenSolarThrottled) else FAILED
        elapsed = (time.perf_counter() - started) * 1000
        links.write_log(
            installation_request_id, AttemptRecord("read", outcome, elapsed, http_status_of(exc), exc.message)
        )
        raise
    elapsed = (time.perf_counter() - started) * 1000
    apply_state(link, OpenSolarState.of_project(reply.value), config, origin="live status read")
    links.write_log(installation_request_id, AttemptRecord("read", READ, elapsed, reply.http_status))
    return as_project(links.get_link(installation_request_id, consistent=True))
