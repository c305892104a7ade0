"""Hourly (EventBridge schedule): failed OpenSolar syncs with retries left go back on SyncQueue (design.md flow 5)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core.metric_names import Metric
from solar_core.opensolar.outbound.retry import retry_failed_syncs

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = retry_failed_syncs()
    metrics.add_metric(name=Metric.RETRY_QUEUED, unit=MetricUnit.Count, value=len(run.queued))
    # A gauge: failed syncs that used every retry and wait for staff (alarm on > 0).
    metrics.add_metric(name=Metric.RETRY_EXHAUSTED, unit=MetricUnit.Count, value=run.exhausted)
    summary = {"queued": len(run.queued), "not_queued": run.not_queued, "exhausted": run.exhausted}
    logger.info("failed syncs re-queued", extra={**summary, "skipped": run.skipped})
    return {**summary, "skipped": run.skipped}
