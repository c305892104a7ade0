"""The webhook deliveries as a log: what became of each (processed, ignored, error), and the reads of the webhook
logs API and the stats."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import QueryError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from solar_core import errors
from solar_core.aws_errors import storage_error
from solar_core.installations.clock import iso, now
from solar_core.opensolar.inbound.inbox import DELIVERY_SK, ERROR, IGNORED, PROCESSED, RECEIVED, delivery_pk

__all__ = ["ERROR", "IGNORED", "PROCESSED", "RECEIVED", "errors_since", "list_logs", "mark", "processed"]
from solar_core.opensolar.models import WebhookLogEntry, WebhookLogList
from solar_core.opensolar.tables import IntegrationItem, WebhookItem
from solar_core.paging import newest_first, page_through

# With no filter, the log shows what needs attention first.
_UNFILTERED_ORDER = (ERROR, RECEIVED, PROCESSED, IGNORED)


def _item(event_key: str) -> WebhookItem:
    return WebhookItem(pk=delivery_pk(event_key), sk=DELIVERY_SK)


def processed(event_key: str, detail: str) -> tuple[Model, list[Action], Condition]:
    """The update marking a delivery processed, for the transaction that applies it: it applies once, ever."""
    actions: list[Action] = [
        WebhookItem.webhook_status.set(PROCESSED),
        WebhookItem.processed_at.set(iso(now())),
        WebhookItem.detail.set(detail[:1000]),
    ]
    return _item(event_key), actions, WebhookItem.webhook_status == RECEIVED


def mark(event_key: str, status: str, *, detail: str | None = None, error: str | None = None) -> bool:
    """Records what became of a delivery still `received`; False when it was recorded already."""
    actions: list[Action] = [WebhookItem.webhook_status.set(status), WebhookItem.processed_at.set(iso(now()))]
    if detail:
        actions.append(WebhookItem.detail.set(detail[:1000]))
    if error:
        actions.append(WebhookItem.error.set(error[:1000]))
    try:
        _item(event_key).update(actions=actions, condition=WebhookItem.webhook_status == RECEIVED)
    except UpdateError as exc:
        failure = storage_error(exc)
        if isinstance(failure, errors.Conflict):
            return False
        raise failure from exc
    return True


def errors_since(moment: datetime) -> int:
    """Deliveries whose processing failed for good since `moment` (one index query over the errors)."""
    try:
        return IntegrationItem.webhook_logs.count(ERROR, WebhookItem.received_at >= iso(moment))
    except QueryError as exc:
        raise storage_error(exc) from exc


def list_logs(*, status: str | None, limit: int, next_token: str | None) -> WebhookLogList:
    """Deliveries, newest first within each status; errors, then unprocessed, processed and ignored when unfiltered."""
    statuses = [status] if status else list(_UNFILTERED_ORDER)
    partitions = [newest_first(IntegrationItem.webhook_logs, value) for value in statuses]
    filters = {"status": status}
    found, token = page_through(partitions, kind=WebhookItem, limit=limit, next_token=next_token, filters=filters)
    return WebhookLogList(items=[_entry(item) for item in found], next_token=token)


def _entry(item: WebhookItem) -> WebhookLogEntry:
    return WebhookLogEntry(
        event_key=item.event_key,
        received_at=item.received_at,
        status=item.webhook_status,
        error=item.error,
        detail=item.detail,
        payload=_payload(item.payload),
    )


def _payload(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
