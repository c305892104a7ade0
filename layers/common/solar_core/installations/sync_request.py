"""Asking the OpenSolar sync to create a project for a new installation request (SyncQueue), once per order."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error
from solar_core.installations import markers
from solar_core.installations.models import SystemType
from solar_core.installations.tables import AuditItem
from solar_core.settings import get_settings

logger = Logger(child=True)

MARKER = "sync-queued"
# The OpenSolar integration's config item in the Integration table (`GET/PUT /opensolar/config`).
CONFIG_KEY = {"pk": {"S": "CONFIG"}, "sk": {"S": "OPENSOLAR"}}
SYNCED_TYPES = frozenset({SystemType.SOLAR, SystemType.HYBRID})


class SyncOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    DISABLED = "disabled"


def auto_sync_enabled(dynamodb: Any | None = None) -> bool:
    """The config's `is_active` and `auto_sync_enabled`, each true when absent (no config item: sync on)."""
    table_client = dynamodb or client("dynamodb")
    try:
        response = table_client.get_item(TableName=get_settings().integration_table, Key=CONFIG_KEY)
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    raw = response.get("Item")
    if not raw:
        return True
    deserializer = TypeDeserializer()
    config = {key: deserializer.deserialize(value) for key, value in raw.items()}
    return bool(config.get("is_active", True)) and bool(config.get("auto_sync_enabled", True))


def _send(body: dict[str, str], sqs: Any) -> str:
    try:
        response = sqs.send_message(QueueUrl=get_settings().sync_queue_url, MessageBody=json.dumps(body))
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SQS") from exc
    return str(response.get("MessageId", ""))


def queue_sync(
    *,
    order_id: str,
    ssr_id: str,
    installation_request_id: str,
    system_type: SystemType,
    entry: AuditItem,
    sqs: Any | None = None,
    dynamodb: Any | None = None,
) -> SyncOutcome:
    """Queues `{"installation_request_id", "ssr_id", "order_id", "reason": "created"}` when auto-sync is on.

    `entry` is the audit entry written together with the record that the request was queued.
    """
    if system_type not in SYNCED_TYPES or not auto_sync_enabled(dynamodb):
        logger.info("OpenSolar auto-sync is off; nothing queued")
        return SyncOutcome.DISABLED
    body = {
        "installation_request_id": installation_request_id,
        "ssr_id": ssr_id,
        "order_id": order_id,
        "reason": "created",
    }
    queue = sqs or client("sqs")
    if markers.run_once(order_id, MARKER, lambda: _send(body, queue), entry):
        logger.info("OpenSolar sync queued", extra={"installation_request_id": installation_request_id})
        return SyncOutcome.QUEUED
    return SyncOutcome.ALREADY_QUEUED
