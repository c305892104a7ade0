"""RecordOutcome: automation state `created` with the SSR id."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from solar_core.automation import steps
from solar_core.installations.models import SsrStepInput
from solar_core.metric_names import Metric

metrics = Metrics()


def run(task: dict[str, Any]) -> dict[str, Any]:
    result = steps.record_outcome(SsrStepInput.model_validate(task))
    if result.first_time:
        metrics.add_metric(name=Metric.SSR_CREATED, unit=MetricUnit.Count, value=1)
    return result.output
