"""Audit entries of an order's automation: one per action, the first write wins so re-runs add nothing."""

from __future__ import annotations

import secrets

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PutError

from solar_core import errors
from solar_core.aws_errors import storage_error
from solar_core.installations.clock import iso, now
from solar_core.installations.tables import AuditItem, order_pk

logger = Logger(child=True)


def audit_item(
    order_id: str,
    action: str,
    detail: str,
    ssr_id: str | None = None,
    at: str | None = None,
    *,
    repeatable: bool = False,
    attempt: int = 1,
) -> AuditItem:
    """The item for one audit entry; `action` is unique per order (`ssr_created`, `confirmation_sent`, …) and
    automation attempt (a staff re-run's outcome is audited again), unless `repeatable` (a status change may happen
    many times: each entry gets its own key)."""
    at = at or iso(now())
    if repeatable:
        key = f"AUDIT#{action}#{at}#{secrets.token_hex(3)}"
    else:
        key = f"AUDIT#{action}" if attempt <= 1 else f"AUDIT#{action}#r{attempt}"
    return AuditItem(
        pk=order_pk(order_id),
        sk=key,
        order_id=order_id,
        at=at,
        action=action,
        detail=detail[:1000],
        ssr_id=ssr_id,
    )


def record(order_id: str, action: str, detail: str, ssr_id: str | None = None) -> bool:
    """Adds the entry unless this action was already audited for the order; True when it was added."""
    return save(audit_item(order_id, action, detail, ssr_id))


def save(entry: AuditItem) -> bool:
    """Saves the entry unless its action was already audited for the order; True when it was added."""
    try:
        entry.save(condition=AuditItem.pk.does_not_exist())
    except PutError as exc:
        error = storage_error(exc)
        if isinstance(error, errors.Conflict):
            logger.debug("audit entry already recorded", extra={"action": entry.action})
            return False
        raise error from exc
    return True
