"""Orders stream consumer: starts the SSR workflow once per order that becomes won and paid, and notes refunds.

The event source mapping's filters pass (1) an INSERT that is already won + paid, (2-4) a MODIFY into won + paid from
another stage, another payment status or none, and (5) a MODIFY from paid to refunded; `on_order_change` checks again.
Per record: StartExecution named after the order (a replay is a no-op) and automation state `running`; a malformed
item is recorded as rejected and reported as success (retrying cannot fix it); a refund after the SSR exists gets an
audit entry and a staff notice. A throttled or unavailable dependency fails only that record (partial batch
response), so the mapping retries it and, once exhausted, parks it in the OrderStreamDLQ.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core.errors import InvalidInput
from solar_core.installations.order_changes import ChangeOutcome, on_order_change

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

_METRIC_OF = {
    ChangeOutcome.STARTED: "AutomationStarted",
    ChangeOutcome.REJECTED: "OrderRejected",
    ChangeOutcome.REFUND_NOTED: "OrderRefundNoticed",
}


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or "order_id" not in change.keys:
        raise InvalidInput("The stream record has no order key.")
    order_id = str(change.keys["order_id"])
    logger.append_keys(order_id=order_id)
    outcome = on_order_change(order_id, change.new_image, change.old_image, change.sequence_number or "")
    logger.info("order change handled", extra={"outcome": outcome.value, "event_name": record.raw_event["eventName"]})
    metric = _METRIC_OF.get(outcome)
    if metric:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
