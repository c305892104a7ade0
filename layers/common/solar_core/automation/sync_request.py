"""QueueOpenSolarSync: a sync request on SyncQueue, once per order, when the integration is active and auto-sync is
on (the installation request's OpenSolar link was made with it, by CreateRecords)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger

from solar_core.automation import markers
from solar_core.installations.models import SystemType
from solar_core.installations.tables import AuditItem
from solar_core.opensolar.config import load_config
from solar_core.opensolar.outbound import messages
from solar_core.opensolar.outbound.messages import SyncReason, SyncRequest

logger = Logger(child=True)

MARKER = "sync-queued"
SYNCED_TYPES = frozenset({SystemType.SOLAR, SystemType.HYBRID})


class SyncOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    DISABLED = "disabled"


def queue_sync(
    *,
    order_id: str,
    ssr_id: str,
    installation_request_id: str,
    system_type: SystemType,
    entry: AuditItem,
    owner: str | None = None,
    sqs: Any | None = None,
) -> SyncOutcome:
    """Queues `{"installation_request_id", "ssr_id", "order_id", "reason": "created"}` when auto-sync is on.

    `entry` is the audit entry written with the record that it was queued. Staff can sync by hand while auto-sync is
    off: the link exists whatever the config says.
    """
    config = load_config()
    if system_type not in SYNCED_TYPES or not (config.is_active and config.auto_sync_enabled):
        logger.info("OpenSolar auto-sync is off; nothing queued")
        return SyncOutcome.DISABLED
    request = SyncRequest(
        installation_request_id=installation_request_id, ssr_id=ssr_id, order_id=order_id, reason=SyncReason.CREATED
    )
    if markers.run_once(order_id, MARKER, lambda: messages.send(request, sqs), entry, owner):
        logger.info("OpenSolar sync queued", extra={"installation_request_id": installation_request_id})
        return SyncOutcome.QUEUED
    return SyncOutcome.ALREADY_QUEUED
