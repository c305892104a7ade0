"""The customer's order confirmation by SES, sent at most once per order (a claimed marker guards the send)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.automation import markers
from solar_core.automation.outreach.messages import Email
from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error
from solar_core.installations.privacy import mask_email
from solar_core.installations.tables import AuditItem
from solar_core.settings import get_settings

logger = Logger(child=True)

MARKER = "confirmation-email"


class EmailOutcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    NO_ADDRESS = "no_address"


def _send(recipient: str, email: Email, ses: Any) -> str:
    try:
        response = ses.send_email(
            FromEmailAddress=get_settings().sender_email,
            Destination={"ToAddresses": [recipient]},
            Content={
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
        )
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SES") from exc
    return str(response.get("MessageId", ""))


def send_confirmation(
    order_id: str,
    recipient: str | None,
    email: Email,
    *,
    entry: AuditItem,
    owner: str | None = None,
    ses: Any | None = None,
) -> EmailOutcome:
    """Sends `email` to `recipient` unless it was already sent for the order; no address → nothing to send.

    `entry` is the audit entry written together with the record that the email went out; `owner` names the
    workflow execution sending it (its retry after a crash takes the claim over).
    """
    if not recipient:
        logger.info("no email address on the order; confirmation not sent")
        return EmailOutcome.NO_ADDRESS
    sender = ses or client("sesv2")
    sent_now = markers.run_once(order_id, MARKER, lambda: _send(recipient, email, sender), entry, owner)
    if sent_now:
        logger.info("confirmation sent", extra={"recipient": mask_email(recipient)})
        return EmailOutcome.SENT
    return EmailOutcome.ALREADY_SENT
