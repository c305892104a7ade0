"""The SQS edge shared by queue consumers: leaving a message for later without counting it as a failure.

A message left for later by changing its visibility is received again, and every receive counts towards the queue's
maxReceiveCount, which exists for failures. So on its last receive a message that was only asked to wait is sent
again as a fresh copy (the old one acknowledged): waiting never parks a message in the DLQ.
"""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error

logger = Logger(child=True)

MAX_VISIBILITY_S = 43_200  # SQS's limit: 12 hours
MAX_DELAY_S = 900  # SendMessage's DelaySeconds limit: 15 minutes


class ComeBackLater(Exception):
    """Raised by a record handler to leave the message in the queue; its visibility has been set already."""


def queue_url(event_source_arn: str) -> str:
    """`arn:aws:sqs:<region>:<account>:<name>` → the queue's URL."""
    _, _, _, region, account, name = event_source_arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def come_back_later(record: SQSRecord, after_s: float, reason: str, sqs: Any | None = None) -> ComeBackLater:
    """Makes the message visible again in `after_s` seconds; the exception to raise so the batch keeps it.

    Should SQS refuse, the message still comes back, after the queue's own visibility timeout.
    """
    seconds = max(0, min(MAX_VISIBILITY_S, math.ceil(after_s)))
    try:
        (sqs or client("sqs")).change_message_visibility(
            QueueUrl=queue_url(record.event_source_arn), ReceiptHandle=record.receipt_handle, VisibilityTimeout=seconds
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("could not set the message's visibility", extra={"error": type(exc).__name__})
    return ComeBackLater(f"{reason} Back in {seconds} s.")


def send_again_later(record: SQSRecord, after_s: float, sqs: Any | None = None) -> None:
    """Puts a fresh copy of the message on its queue, delivered in `after_s` seconds (15 minutes at most); the caller
    then acknowledges the old one. Raises the domain error if SQS refuses (the old one then comes back as usual)."""
    seconds = max(0, min(MAX_DELAY_S, math.ceil(after_s)))
    try:
        (sqs or client("sqs")).send_message(
            QueueUrl=queue_url(record.event_source_arn), MessageBody=record.body, DelaySeconds=seconds
        )
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SQS") from exc
