"""Staff notices on the SNS topic, with the order's branch as a message attribute; each at most once per order."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.automation import markers
from solar_core.automation.outreach.messages import StaffNotice
from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error
from solar_core.installations.tables import AuditItem
from solar_core.settings import get_settings

logger = Logger(child=True)

# SNS refuses an empty attribute value; orders without a branch still reach the staff who filter on it.
UNASSIGNED_BRANCH = "unassigned"


class NoticeKind(StrEnum):
    SSR_CREATED = "staff-notice"
    ORDER_FLAGGED = "flag-notice"
    ORDER_REFUNDED = "refund-notice"


def _publish(notice: StaffNotice, branch_id: str, sns: Any) -> str:
    try:
        response = sns.publish(
            TopicArn=get_settings().staff_topic_arn,
            Subject=notice.subject,
            Message=notice.message,
            MessageAttributes={"branch": {"DataType": "String", "StringValue": branch_id or UNASSIGNED_BRANCH}},
        )
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SNS") from exc
    return str(response.get("MessageId", ""))


def notify_staff(
    order_id: str,
    kind: NoticeKind,
    notice: StaffNotice,
    branch_id: str,
    *,
    entry: AuditItem | None = None,
    attempt: int = 1,
    owner: str | None = None,
    sns: Any | None = None,
) -> bool:
    """Publishes the notice unless this kind was already published for the order's automation `attempt`; True when
    published now (a staff re-run that flags the order again tells staff again).

    `entry`, when given, is the audit entry written together with the record that the notice went out; `owner`
    names who publishes it (a workflow execution, a stream record), whose retry after a crash takes the claim over.
    """
    publisher = sns or client("sns")
    once_per = kind.value if attempt <= 1 else f"{kind.value}#r{attempt}"
    published = markers.run_once(order_id, once_per, lambda: _publish(notice, branch_id, publisher), entry, owner)
    if published:
        logger.info("staff notified", extra={"notice": kind.value, "branch": branch_id or UNASSIGNED_BRANCH})
    return published
