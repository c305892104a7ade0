"""Orders stream consumer: starts the SSR workflow once per order that becomes won and paid, and notes refunds.

The event source mapping's filters pass (1) an INSERT that is already won + paid, (2-4) a MODIFY into won + paid from
another stage, another payment status or none, and (5) a MODIFY from paid to refunded; `on_order_change` checks again.
Per record: StartExecution named after the order (a replay is a no-op) and automation state `running`; a malformed
order item is recorded as rejected and reported as success (retrying cannot fix it), and a record that is no order
change at all (no key, unreadable) is parked in the OrderStreamDLQ with its reason and acknowledged at once, so it does
not hold its shard through every retry; a refund after the SSR exists gets an audit entry and a staff notice.
A throttled or unavailable dependency fails only that record (partial batch response), so the mapping retries it
and, once exhausted, parks its batch's description in the OrderStreamDLQ.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core.adapters.poison import park
from solar_core.automation.order_changes import ChangeOutcome, on_order_change
from solar_core.errors import InvalidInput, Unprocessable
from solar_core.metric_names import Metric
from solar_core.settings import get_settings

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

_METRIC_OF = {
    ChangeOutcome.STARTED: Metric.AUTOMATION_STARTED,
    ChangeOutcome.REJECTED: Metric.ORDER_REJECTED,
    ChangeOutcome.REFUND_NOTED: Metric.ORDER_REFUND_NOTICED,
}


def _park(record: DynamoDBRecord, reason: str) -> None:
    """Retrying cannot fix this record: park it with the reason and acknowledge it, so it does not hold the shard."""
    park(get_settings().order_stream_dlq_url, body=json.dumps(record.raw_event), source="OrdersStream", reason=reason)
    metrics.add_metric(name=Metric.STREAM_RECORD_POISONED, unit=MetricUnit.Count, value=1)


def record_handler(record: DynamoDBRecord) -> None:
    try:
        change = record.dynamodb
        keys = change.keys if change is not None else None
    except (TypeError, ValueError, AttributeError) as exc:  # an image or key DynamoDB's types cannot describe
        _park(record, f"The stream record cannot be read: {type(exc).__name__}.")
        return
    if change is None or not keys or not isinstance(keys.get("order_id"), str) or not keys["order_id"]:
        _park(record, "The stream record has no order key (order_id).")
        return
    order_id = str(keys["order_id"])
    logger.append_keys(order_id=order_id)
    try:
        outcome = on_order_change(order_id, change.new_image, change.old_image, change.sequence_number or "")
    except (InvalidInput, Unprocessable) as exc:
        _park(record, exc.message)
        return
    logger.info("order change handled", extra={"outcome": outcome.value, "event_name": record.raw_event["eventName"]})
    metric = _METRIC_OF.get(outcome)
    if metric:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
