"""Once-only side effects (an email, a staff notice, a sync request) per order, guarded by a claimed marker item.

The marker is claimed with a condition before the side effect and marked done after it: a re-run after "done" does
nothing, and a failed side effect releases the claim so the retry performs it. A claim left behind by a crash (the
function timed out mid-call) expires after `CLAIM_LEASE`, longer than the function's timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DeleteError, DoesNotExist, GetError, PutError, UpdateError

from solar_core import errors
from solar_core.installations.clock import iso, now
from solar_core.installations.tables import MarkerItem, order_pk
from solar_core.installations.upstream import storage_error

logger = Logger(child=True)

CLAIM_LEASE = timedelta(seconds=60)
_CLAIMED = "claimed"
_DONE = "done"


def _marker(order_id: str, kind: str) -> MarkerItem:
    return MarkerItem(pk=order_pk(order_id), sk=f"MARKER#{kind}", status=_CLAIMED, claimed_at=iso(now()))


def _claim(order_id: str, kind: str) -> bool:
    """True when this caller now holds the claim; False when the side effect was already done."""
    marker = _marker(order_id, kind)
    stale_before = iso(now() - CLAIM_LEASE)
    condition = MarkerItem.pk.does_not_exist() | (
        (MarkerItem.status == _CLAIMED) & (MarkerItem.claimed_at < stale_before)
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


def _complete(order_id: str, kind: str, detail: str) -> None:
    marker = _marker(order_id, kind)
    try:
        marker.update(
            actions=[
                MarkerItem.status.set(_DONE),
                MarkerItem.completed_at.set(iso(now())),
                MarkerItem.detail.set(detail),
            ]
        )
    except UpdateError as exc:
        raise storage_error(exc) from exc


def _release(order_id: str, kind: str) -> None:
    marker = _marker(order_id, kind)
    try:
        marker.delete(condition=MarkerItem.status == _CLAIMED)
    except DeleteError as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc


def run_once(order_id: str, kind: str, side_effect: Callable[[], str]) -> bool:
    """Performs `side_effect` (which returns a short detail, e.g. a message id) unless it was done for the order.

    True when it ran now, False when it had already been done.
    """
    if not _claim(order_id, kind):
        logger.info("side effect already done for this order", extra={"side_effect": kind})
        return False
    try:
        detail = side_effect()
    except BaseException:
        _release(order_id, kind)
        raise
    _complete(order_id, kind, detail)
    return True
