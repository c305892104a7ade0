"""Parking a message or stream record that can never succeed (no key, not JSON, an id nobody knows) in its DLQ, with
the reason, so the consumer acknowledges it at once instead of retrying it until the source gives up.

The body goes to the DLQ unchanged and the reason rides in message attributes (`parked_reason`, `parked_from`), so a
redrive after the fix (`make redrive`) replays the message exactly as it first came. The DLQ's depth alarm tells
operators; the reason is logged without the body, which may hold personal data.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core import errors
from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error

logger = Logger(child=True)

REASON_ATTRIBUTE = "parked_reason"
SOURCE_ATTRIBUTE = "parked_from"
_MAX_REASON = 1000


def park(dead_letter_url: str, *, body: str, source: str, reason: str, sqs: Any | None = None) -> None:
    """Sends `body` to the DLQ with why and where from; raises (so the record is retried, not lost) if it cannot."""
    if not dead_letter_url:
        raise errors.UpstreamRejected(f"No dead-letter queue is configured for {source}; the record stays put.")
    attributes = {
        REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:_MAX_REASON] or "unknown"},
        SOURCE_ATTRIBUTE: {"DataType": "String", "StringValue": source},
    }
    try:
        (sqs or client("sqs")).send_message(QueueUrl=dead_letter_url, MessageBody=body, MessageAttributes=attributes)
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SQS") from exc
    logger.warning("record parked in its dead-letter queue", extra={"source": source, "reason": reason[:_MAX_REASON]})
