"""FlagOrder: note the reasons on the order, audit, tell staff, automation state `flagged`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from solar_core.automation import steps
from solar_core.installations.models import FlagInput
from solar_core.metric_names import Metric

metrics = Metrics()


def run(task: dict[str, Any]) -> dict[str, Any]:
    result = steps.flag_order(FlagInput.model_validate(task))
    if result.first_time:
        metrics.add_metric(name=Metric.ORDER_FLAGGED, unit=MetricUnit.Count, value=1)
    return result.output
