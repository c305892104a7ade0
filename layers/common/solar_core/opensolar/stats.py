"""The stats endpoint's figures, from counters kept as syncs happen, one query over the failed links and one over the
webhook deliveries that failed in the last 24 hours."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, GetError, QueryError

from solar_core.aws_errors import storage_error
from solar_core.installations.clock import now
from solar_core.opensolar.config import load_config
from solar_core.opensolar.inbound import webhook_log
from solar_core.opensolar.links import FAILED
from solar_core.opensolar.models import SyncStats
from solar_core.opensolar.tables import STATS_KEY, IntegrationItem, LinkItem, StatsItem


def count_exhausted(max_retries: int) -> int:
    """Failed links that used all their hourly retries (the failed ones are few: one index query, filtered)."""
    try:
        return IntegrationItem.by_sync_status.count(FAILED, filter_condition=LinkItem.retry_count >= max_retries)
    except QueryError as exc:
        raise storage_error(exc) from exc


def read_stats() -> SyncStats:
    try:
        counters = StatsItem.get(*STATS_KEY, consistent_read=True)
    except DoesNotExist:
        counters = StatsItem()
    except GetError as exc:
        raise storage_error(exc) from exc
    succeeded, failed = int(counters.attempts_succeeded or 0), int(counters.attempts_failed or 0)
    attempts = succeeded + failed
    return SyncStats(
        sync_success_rate=round(succeeded / attempts, 4) if attempts else None,
        avg_sync_ms=round(float(counters.succeeded_ms_total or 0) / succeeded, 1) if succeeded else None,
        webhook_errors_24h=webhook_log.errors_since(now() - timedelta(hours=24)),
        failed_syncs=max(0, int(counters.links_failed or 0)),
        retries_exhausted=count_exhausted(load_config().max_retries),
        synced=max(0, int(counters.links_synced or 0)),
        pending=max(0, int(counters.links_pending or 0)),
        throttled_attempts=int(counters.attempts_throttled or 0),
    )
