"""The hourly retry (design.md flow 5): failed syncs that still have retries go back on the queue, a few per run;
those that used them all are counted and stay listed as failed for staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from pynamodb.exceptions import QueryError

from solar_core.aws_errors import storage_error
from solar_core.opensolar import links
from solar_core.opensolar.config import IntegrationConfig, load_config
from solar_core.opensolar.links import FAILED, PENDING
from solar_core.opensolar.outbound import messages
from solar_core.opensolar.outbound.messages import SyncReason
from solar_core.opensolar.stats import count_exhausted
from solar_core.opensolar.tables import IntegrationItem, LinkItem

logger = Logger(child=True)


@dataclass(frozen=True)
class RetryRun:
    queued: list[str] = field(default_factory=list)
    not_queued: list[str] = field(default_factory=list)
    exhausted: int = 0
    skipped: str | None = None


def retry_failed_syncs(config: IntegrationConfig | None = None) -> RetryRun:
    """Re-queues up to `retry_batch_limit` failed links whose `retry_count` is below `max_retries` (an index query)."""
    config = config or load_config()
    if not config.is_active:
        return RetryRun(skipped="The OpenSolar integration is not active.")
    due: list[LinkItem] = []
    try:
        for item in IntegrationItem.by_sync_status.query(
            FAILED, filter_condition=LinkItem.retry_count < config.max_retries
        ):
            if isinstance(item, LinkItem):
                due.append(item)
            if len(due) >= config.retry_batch_limit:
                break
    except QueryError as exc:
        raise storage_error(exc) from exc
    requests = [links.sync_request(link, SyncReason.RETRY) for link in due]
    # Sent first, counted after: a crash in between re-sends next hour (harmless, the sync is idempotent) rather
    # than leave a link pending with no message to move it.
    not_queued = messages.send_many(requests)
    queued = []
    for link in due:
        if link.installation_request_id in not_queued:
            continue
        queued.append(link.installation_request_id)
        try:
            links.change_status(
                link.installation_request_id,
                old=FAILED,
                new=PENDING,
                actions=[LinkItem.retry_count.add(1)],
                extra=LinkItem.retry_count == link.retry_count,
            )
        except links.LinkChanged:
            logger.info("the link moved on meanwhile", extra={"installation_request_id": link.installation_request_id})
    return RetryRun(queued=queued, not_queued=not_queued, exhausted=count_exhausted(config.max_retries))
