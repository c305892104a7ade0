"""The webhook inbox: every delivery stored once, with its raw body and a TTL, by one conditional write that is also
the dedupe; then queued for the processor. A delivery is acknowledged only once it is stored.

A delivery stored but not queued (SQS refused, the function stopped) is queued when OpenSolar delivers it again: the
receiver answers 503 in that case, and a duplicate of a delivery still `received` is queued once more (processing is
idempotent), so no delivery waits for nothing.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import CONDITION_FAILED_CODES, error_code, item_at_failure, upstream_error
from solar_core.installations.clock import iso
from solar_core.opensolar.inbound.deliveries import InboundChange
from solar_core.settings import get_settings

RETENTION = timedelta(days=90)
RECEIVED, PROCESSED, IGNORED, ERROR = "received", "processed", "ignored", "error"
WEBHOOK_STATUSES = (RECEIVED, PROCESSED, IGNORED, ERROR)
DELIVERY_SK = "DELIVERY"


class Receipt(StrEnum):
    """What the receiver answers OpenSolar."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


def delivery_pk(event_key: str) -> str:
    return f"WEBHOOK#{event_key}"


def receive(change: InboundChange, raw_body: str, received_at: datetime) -> Receipt:
    """Stores the delivery unless it was stored before, and queues what needs processing (at most 2 AWS calls)."""
    status = RECEIVED if change.acted_on else IGNORED
    # Tells this request's own write from an earlier delivery's when botocore resends a put whose answer was lost.
    receipt_id = uuid.uuid4().hex
    item: dict[str, Any] = {
        "pk": {"S": delivery_pk(change.event_key)},
        "sk": {"S": DELIVERY_SK},
        "kind": {"S": "webhook"},
        "event_key": {"S": change.event_key},
        "received_at": {"S": iso(received_at)},
        "webhook_status": {"S": status},
        "source": {"S": change.source},
        "model": {"S": change.model},
        "event": {"S": change.event},
        "occurred_at": {"S": iso(change.occurred_at)},
        "payload": {"S": raw_body},
        "expires_at": {"N": str(math.floor((received_at + RETENTION).timestamp()))},
        "receipt_id": {"S": receipt_id},
    }
    if change.project_id is not None:
        item["project_ref"] = {"N": str(change.project_id)}
    if not change.acted_on:
        item["detail"] = {"S": f"{change.model} {change.event} deliveries are stored, not acted on."}
    try:
        client("dynamodb").put_item(
            TableName=get_settings().integration_table,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if error_code(exc) not in CONDITION_FAILED_CODES:
            raise upstream_error(exc, "DynamoDB") from exc
        stored = item_at_failure(exc)
        if stored.get("receipt_id", {}).get("S") != receipt_id:
            if stored.get("webhook_status", {}).get("S") == RECEIVED:
                enqueue(change)  # stored before, maybe never queued: processing it twice changes nothing
            return Receipt.DUPLICATE
        # Our own put, applied before its answer was lost: this is the first delivery.
    except BotoCoreError as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    if status == IGNORED:
        return Receipt.IGNORED
    enqueue(change)
    return Receipt.ACCEPTED


def enqueue(change: InboundChange) -> None:
    try:
        client("sqs").send_message(QueueUrl=get_settings().webhook_queue_url, MessageBody=change.model_dump_json())
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SQS") from exc
