"""The Integration table's items as pynamodb models, keyed pk/sk.

| pk | sk | what |
| --- | --- | --- |
| `IR#<installation_request_id>` | `LINK` | the installation request's OpenSolar link (the projects API's project) |
| `IR#<installation_request_id>` | `LOG#<at>#<nonce>` | one sync attempt (TTL 90 days) |
| `STATS` | `OPENSOLAR` | counters the stats endpoint reads: links by sync status, attempts, durations |
| `PACER` | `OPENSOLAR_WRITES` | the shared write pacer's next free slot (`pacing.py`) |
| `CONFIG` | `OPENSOLAR` | the integration's config (`config.py`) |

| `WEBHOOK#<event_key>` | `DELIVERY` | one webhook delivery, raw, with its processing status (TTL 90 days) |
| `CONFIG` | `WEBHOOK` | our webhook's registration in OpenSolar |
| `CONFIG` | `CATCH_UP` | the daily catch-up's watermark |

Links are in the indexes BySyncStatus and ByInstallationStatus, and in ByOpenSolarProject once linked; deliveries in
WebhookLogs (by processing status and time); nothing else is indexed.

The link carries a copy of the installation request's status (`installation_status`) so that the list filters by it
with an index query; every change of that status writes both items in one transaction.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error
from solar_core.installations.tables import AddressMap
from solar_core.settings import get_settings

LINK_SK = "LINK"
LOG_PREFIX = "LOG#"
STATS_KEY = ("STATS", "OPENSOLAR")


def read_item(key: dict[str, Any]) -> dict[str, Any] | None:
    """One item of the Integration table by its key, strongly consistent, in DynamoDB's JSON (None when absent)."""
    try:
        item: dict[str, Any] | None = (
            client("dynamodb")
            .get_item(TableName=get_settings().integration_table, Key=key, ConsistentRead=True)
            .get("Item")
        )
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    return item


def link_pk(installation_request_id: str) -> str:
    return f"IR#{installation_request_id}"


class BySyncStatusIndex(GlobalSecondaryIndex["IntegrationItem"]):  # type: ignore[no-untyped-call]
    """Links by sync status (pending, synced, failed): the list filter and the hourly retry's query."""

    class Meta:
        index_name = "BySyncStatus"
        projection = AllProjection()

    sync_status = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ByInstallationStatusIndex(GlobalSecondaryIndex["IntegrationItem"]):  # type: ignore[no-untyped-call]
    """Links by their installation request's status: the list's `status` filter."""

    class Meta:
        index_name = "ByInstallationStatus"
        projection = AllProjection()

    installation_status = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ByOpenSolarProjectIndex(GlobalSecondaryIndex["IntegrationItem"]):  # type: ignore[no-untyped-call]
    """The link of an OpenSolar project id (webhooks and the catch-up name projects by OpenSolar's id)."""

    class Meta:
        index_name = "ByOpenSolarProject"
        projection = AllProjection()

    opensolar_project_id = UnicodeAttribute(hash_key=True)


class WebhookLogsIndex(GlobalSecondaryIndex["IntegrationItem"]):  # type: ignore[no-untyped-call]
    """Webhook deliveries by processing status, newest last: the webhook logs and the errors of the last 24 h."""

    class Meta:
        index_name = "WebhookLogs"
        projection = AllProjection()

    webhook_status = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class IntegrationItem(Model):
    """Base of the Integration table's modelled items; `kind` tells which one a raw item is."""

    class Meta:
        table_name = get_settings().integration_table
        region = get_settings().aws_region

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    by_sync_status = BySyncStatusIndex()
    by_installation_status = ByInstallationStatusIndex()
    by_opensolar_project = ByOpenSolarProjectIndex()
    webhook_logs = WebhookLogsIndex()


class StageMap(MapAttribute[str, Any]):
    workflow_id = NumberAttribute(null=True)
    active_stage_id = NumberAttribute(null=True)
    milestone = NumberAttribute(null=True)


class LinkItem(IntegrationItem, discriminator="link"):
    installation_request_id = UnicodeAttribute()
    ssr_id = UnicodeAttribute()
    order_id = UnicodeAttribute()
    installation_type = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    address = AddressMap()  # type: ignore[no-untyped-call]
    installation_status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    sync_status = UnicodeAttribute()
    retry_count = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    last_attempt_at = UnicodeAttribute(null=True)
    last_synced_at = UnicodeAttribute(null=True)
    sync_requested_at = UnicodeAttribute(null=True)
    opensolar_project_id = UnicodeAttribute(null=True)
    opensolar_stage = StageMap(null=True)  # type: ignore[no-untyped-call]
    opensolar_modified_at = UnicodeAttribute(null=True)
    proposal_url = UnicodeAttribute(null=True)
    contract_signed_at = UnicodeAttribute(null=True)
    installation_date = UnicodeAttribute(null=True)
    create_attempted_at = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    # When the OpenSolar state we hold was current there (a delivery's timestamp, a project's modified date): an
    # older one changes nothing.
    opensolar_event_at = UnicodeAttribute(null=True)
    # Our last push of a status to OpenSolar: its echo (the webhook about our own write) changes nothing.
    pushed_stage_id = NumberAttribute(null=True)
    pushed_at = UnicodeAttribute(null=True)
    # A status staff set that is still to reach OpenSolar (status_map names it); cleared by the sync that pushes it.
    push_pending = UnicodeAttribute(null=True)


class WebhookItem(IntegrationItem, discriminator="webhook"):
    """One delivery as the receiver stored it (`inbox.py` writes it with the low-level client, for its cold start)."""

    event_key = UnicodeAttribute()
    received_at = UnicodeAttribute()
    webhook_status = UnicodeAttribute()
    source = UnicodeAttribute()
    model = UnicodeAttribute()
    event = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    payload = UnicodeAttribute()
    project_ref = NumberAttribute(null=True)
    detail = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    processed_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class SyncLogItem(IntegrationItem, discriminator="sync_log"):
    at = UnicodeAttribute()
    operation = UnicodeAttribute()
    success = BooleanAttribute()
    outcome = UnicodeAttribute()
    duration_ms = NumberAttribute()
    http_status = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class StatsItem(Model):
    """Counters kept as things happen, so the stats endpoint reads one item instead of every log.

    Updated only by ADD (often inside a link's transaction), which creates the item on first use.
    """

    class Meta:
        table_name = get_settings().integration_table
        region = get_settings().aws_region

    pk = UnicodeAttribute(hash_key=True, default=STATS_KEY[0])
    sk = UnicodeAttribute(range_key=True, default=STATS_KEY[1])

    links_pending = NumberAttribute(default=0)
    links_synced = NumberAttribute(default=0)
    links_failed = NumberAttribute(default=0)
    attempts_succeeded = NumberAttribute(default=0)
    attempts_failed = NumberAttribute(default=0)
    attempts_throttled = NumberAttribute(default=0)
    succeeded_ms_total = NumberAttribute(default=0)
