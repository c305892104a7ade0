"""The SSR workflow's task handler: the state machine passes a `step`; each step is a module in `ssr_steps`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from ssr_steps import (
    create_records,
    flag_order,
    grant_portal_access,
    load_order,
    mark_failed,
    notify_staff,
    queue_sync,
    record_outcome,
    record_skipped,
    send_confirmation,
    validate,
)

from solar_core.errors import InvalidInput

logger = Logger()
metrics = Metrics()

STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "load_order": load_order.run,
    "record_skipped": record_skipped.run,
    "validate": validate.run,
    "flag_order": flag_order.run,
    "create_records": create_records.run,
    "grant_portal_access": grant_portal_access.run,
    "send_confirmation": send_confirmation.run,
    "notify_staff": notify_staff.run,
    "queue_sync": queue_sync.run,
    "record_outcome": record_outcome.run,
    "mark_failed": mark_failed.run,
}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = str(event.get("step", ""))
    run = STEPS.get(step)
    if run is None:
        raise InvalidInput(f"Unknown workflow step {step!r}.")
    logger.append_keys(step=step, order_id=event.get("order_id"), ssr_id=event.get("ssr_id"))
    return run(event)
