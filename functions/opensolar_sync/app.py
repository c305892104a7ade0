"""SyncQueue consumer: creates or updates each installation request's OpenSolar project (design.md flow 4).

Per message: parse the sync request, sync it (`solar_core.opensolar.outbound.sync`), and either acknowledge it (synced,
skipped, or marked failed with its reason) or leave it for later by setting its visibility (a 429, a busy write slot,
a 5xx or a timeout while receives remain; a wait asked on the last receive sends a fresh copy instead). A message
that can never succeed (not JSON, not a sync request, an unknown installation request) is logged with its reason and
acknowledged, never retried. Batches report partial failures.
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
from solar_core.adapters.queue import come_back_later, send_again_later
from solar_core.metric_names import Metric
from solar_core.opensolar.links import FAILED, SYNCED
from solar_core.opensolar.outbound.messages import SyncRequest
from solar_core.opensolar.outbound.sync import (
    ComeBack,
    Delivery,
    Outcome,
    UnknownInstallationRequest,
    sync_installation_request,
)
from solar_core.settings import get_settings

logger = Logger()
metrics = Metrics()
_RESERVE_MS = 5_000  # left for the bookkeeping after the last OpenSolar call

_METRIC_OF = {
    SYNCED: Metric.SYNC_SUCCEEDED,
    FAILED: Metric.SYNC_FAILED,
    "retrying": Metric.SYNC_FAILED,
    "throttled": Metric.SYNC_THROTTLED,
}


def _rejected(record: SQSRecord, reason: str) -> None:
    """Retrying cannot fix this message: park it in the SyncDLQ with the reason (a redrive replays it once fixed),
    count it, acknowledge it."""
    logger.error("sync request rejected", extra={"message_id": record.message_id, "reason": reason[:500]})
    park(get_settings().sync_dlq_url, body=record.body, source="SyncQueue", reason=reason)
    metrics.add_metric(name=Metric.SYNC_REJECTED, unit=MetricUnit.Count, value=1)


def _count(outcome: Outcome) -> None:
    attempt = outcome.attempt
    if attempt is None:
        return
    metrics.add_metric(name=_METRIC_OF.get(attempt.outcome, Metric.SYNC_ATTEMPTED), unit=MetricUnit.Count, value=1)
    if attempt.outcome == SYNCED:
        metrics.add_metric(name=Metric.SYNC_DURATION, unit=MetricUnit.Milliseconds, value=attempt.duration_ms)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    """Acknowledges the message by returning; leaves it for later by raising ComeBackLater (visibility set), or, on
    its last receive, by sending a fresh copy."""
    delivery = Delivery(
        receive_count=int(record.attributes.approximate_receive_count or 1),
        max_receives=get_settings().sync_max_receives,
        time_left_s=(lambda_context.get_remaining_time_in_millis() - _RESERVE_MS) / 1000,
    )
    outcome = _sync(record, delivery)
    if not isinstance(outcome, ComeBack):
        return
    if delivery.last:
        send_again_later(record, outcome.after_s)
        return
    raise come_back_later(record, outcome.after_s, outcome.detail)


def _sync(record: SQSRecord, delivery: Delivery) -> Outcome | None:
    try:
        request = SyncRequest.model_validate_json(record.body)
    except ValidationError as exc:
        _rejected(record, f"not a sync request: {exc.errors()[0]['msg']}")
        return None
    logger.append_keys(installation_request_id=request.installation_request_id, order_id=request.order_id)
    try:
        outcome = sync_installation_request(request, delivery)
    except UnknownInstallationRequest as exc:
        _rejected(record, exc.message)
        return None
    _count(outcome)
    logger.info("sync request handled", extra={"detail": outcome.detail, "receive_count": delivery.receive_count})
    return outcome


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # One processor per invocation (the local stack runs two pollers in one process). A batch whose every message
    # comes back later is not a failed invocation.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
