"""WebhookQueue consumer (design.md flow 6): applies each stored OpenSolar delivery to our records, once.

A message that is not a delivery the receiver queued is logged and acknowledged (it can never succeed). A failure of
our own (DynamoDB throttled) fails only that message: the queue tries it again, then parks it in WebhookDLQ, and the
delivery stays `received` in the webhook log meanwhile — nothing is lost.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from solar_core.adapters.poison import park
from solar_core.metric_names import Metric
from solar_core.opensolar.inbound.deliveries import InboundChange
from solar_core.opensolar.inbound.processing import process_delivery
from solar_core.settings import get_settings

logger = Logger()
metrics = Metrics()

_METRIC_OF = {
    "processed": Metric.WEBHOOK_PROCESSED,
    "ignored": Metric.WEBHOOK_IGNORED,
    "error": Metric.WEBHOOK_FAILED,
    "duplicate": Metric.WEBHOOK_DUPLICATE,
}


def record_handler(record: SQSRecord) -> None:
    try:
        change = InboundChange.model_validate_json(record.body)
    except ValidationError as exc:
        reason = f"not a queued delivery: {exc.errors()[0]['msg']}"
        logger.error("webhook message rejected", extra={"message_id": record.message_id, "reason": reason})
        park(get_settings().webhook_dlq_url, body=record.body, source="WebhookQueue", reason=reason)
        metrics.add_metric(name=Metric.WEBHOOK_FAILED, unit=MetricUnit.Count, value=1)
        return
    logger.append_keys(event_key=change.event_key)
    outcome = process_delivery(change)
    metrics.add_metric(name=_METRIC_OF[outcome.status], unit=MetricUnit.Count, value=1)
    logger.info("webhook delivery handled", extra={"status": outcome.status, "detail": outcome.detail})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # One processor per invocation (the local stack runs two pollers in one process).
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
