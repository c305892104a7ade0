"""Daily (EventBridge schedule): the catch-up walk of OpenSolar's projects changed since the watermark (flow 7)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core.metric_names import Metric
from solar_core.opensolar.inbound.catchup import catch_up

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = catch_up()
    metrics.add_metric(name=Metric.CATCH_UP_APPLIED, unit=MetricUnit.Count, value=run.applied)
    metrics.add_metric(name=Metric.CATCH_UP_STATUS_CHANGES, unit=MetricUnit.Count, value=run.status_changes)
    return asdict(run)
