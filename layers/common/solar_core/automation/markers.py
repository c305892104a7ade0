"""Once-only side effects (an email, a staff notice, a sync request) per order, guarded by a claimed marker item.

The marker is claimed with a condition before the side effect and marked done after it: a re-run after "done" does
nothing, and a failed side effect releases the claim so the retry performs it. A claim left behind by a crash (the
function timed out mid-call) expires after `CLAIM_LEASE`, longer than the function's timeout; sooner when the claim
names its `owner`: the workflow names the execution, whose Retry runs a step again only once the attempt that
claimed is over, so the retry takes the claim over at once. A claim with no owner gets one per call, so botocore
resending a claim whose answer was lost finds the claim its own.

The window between the side effect and its record cannot be closed for an email or an SNS notice (neither API takes
an idempotency key): when the function dies inside it, the retry performs the side effect again. A second
confirmation is better than none; the window is one DynamoDB write wide.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DeleteError, DoesNotExist, GetError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from solar_core import errors
from solar_core.aws_errors import storage_error
from solar_core.installations.clock import iso, now
from solar_core.installations.tables import AuditItem, MarkerItem, order_pk
from solar_core.transactions import idempotent_write

logger = Logger(child=True)

CLAIM_LEASE = timedelta(seconds=60)
_CLAIMED = "claimed"
_DONE = "done"


def _marker(order_id: str, kind: str, owner: str | None = None) -> MarkerItem:
    return MarkerItem(
        pk=order_pk(order_id), sk=f"MARKER#{kind}", status=_CLAIMED, claimed_at=iso(now()), claimed_by=owner
    )


def _claim(order_id: str, kind: str, owner: str) -> bool:
    """True when this caller now holds the claim; False when the side effect was already done."""
    marker = _marker(order_id, kind, owner)
    stale_before = iso(now() - CLAIM_LEASE)
    condition = MarkerItem.pk.does_not_exist() | (
        (MarkerItem.status == _CLAIMED) & ((MarkerItem.claimed_at < stale_before) | (MarkerItem.claimed_by == owner))
    )
    try:
        marker.save(condition=condition)
    except PutError as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc
    else:
        return True
    try:
        existing = MarkerItem.get(marker.pk, marker.sk)
    except DoesNotExist:
        raise errors.UpstreamUnavailable(f"The {kind} claim was released meanwhile; retry.") from None
    except GetError as exc:
        raise storage_error(exc) from exc
    if existing.status == _DONE:
        return False
    raise errors.UpstreamUnavailable(f"Another attempt is performing the {kind} right now; retry later.")


def _complete(order_id: str, kind: str, detail: str, entry: AuditItem | None) -> None:
    """Marks the side effect done, and writes its audit entry in the same transaction when it has one."""
    marker = _marker(order_id, kind)
    done: list[Action] = [
        MarkerItem.status.set(_DONE),
        MarkerItem.completed_at.set(iso(now())),
        MarkerItem.detail.set(detail),
    ]
    if entry is None:
        try:
            marker.update(actions=done)
        except UpdateError as exc:
            raise storage_error(exc) from exc
        return
    try:
        with idempotent_write() as transaction:
            transaction.update(marker, actions=done)
            # Unconditional: holding the claim makes this run the only one that completes the side effect.
            transaction.save(entry)
    except TransactWriteError as exc:
        raise storage_error(exc) from exc


def _release(order_id: str, kind: str) -> None:
    marker = _marker(order_id, kind)
    try:
        marker.delete(condition=MarkerItem.status == _CLAIMED)
    except DeleteError as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc


def run_once(
    order_id: str, kind: str, side_effect: Callable[[], str], entry: AuditItem | None = None, owner: str | None = None
) -> bool:
    """Performs `side_effect` (which returns a short detail, e.g. a message id) unless it was done for the order.

    True when it ran now, False when it had already been done. The audit `entry`, if any, is written with the
    marker's completion, so the entry exists exactly when the side effect is recorded as done. `owner` names who
    claims (one workflow execution): an earlier claim of the same owner is taken over.
    """
    if not _claim(order_id, kind, f"{owner}#{kind}" if owner else uuid.uuid4().hex):
        logger.info("side effect already done for this order", extra={"side_effect": kind})
        return False
    try:
        detail = side_effect()
    except BaseException:
        _release(order_id, kind)
        raise
    _complete(order_id, kind, detail, entry)
    return True
