"""The automation state of an order (running → created | skipped | flagged | failed), never moved backwards but by a
staff re-run (skipped | flagged | failed | absent → running, under a new attempt)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DeleteError, DoesNotExist, GetError, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition

from solar_core import errors
from solar_core.aws_errors import CONDITION_FAILED_CODES, cancellation_codes, storage_error
from solar_core.installations import audit
from solar_core.installations.clock import iso, now
from solar_core.installations.models import Automation, AutomationState
from solar_core.installations.statuses import AttentionState
from solar_core.installations.tables import AUTOMATION_SK, AuditItem, AutomationItem, order_pk
from solar_core.transactions import idempotent_write

logger = Logger(child=True)

_NEEDS_ATTENTION = frozenset(member.value for member in AttentionState)
# A final state may replace `running`, and `failed` (a redriven execution can still succeed); `created` is for good.
_REPLACEABLE = (AutomationState.RUNNING.value, AutomationState.FAILED.value)


def get_automation(order_id: str) -> AutomationItem | None:
    try:
        return AutomationItem.get(order_pk(order_id), AUTOMATION_SK)
    except DoesNotExist:
        return None
    except GetError as exc:
        raise storage_error(exc) from exc


def _save(item: AutomationItem, condition: Condition) -> bool:
    try:
        item.save(condition=condition)
    except PutError as exc:
        error = storage_error(exc)
        if isinstance(error, errors.Conflict):
            return False
        raise error from exc
    return True


def _running_item(order_id: str, execution_name: str, attempt: int = 1) -> AutomationItem:
    return AutomationItem(
        pk=order_pk(order_id),
        sk=AUTOMATION_SK,
        order_id=order_id,
        state=AutomationState.RUNNING.value,
        execution_name=execution_name,
        attempt=attempt if attempt > 1 else None,
        updated_at=iso(now()),
    )


def mark_running(order_id: str, execution_name: str) -> bool:
    """Records that the workflow runs for the order, unless a state is already known; True when recorded."""
    item = _running_item(order_id, execution_name)
    condition = AutomationItem.pk.does_not_exist() | (AutomationItem.state == AutomationState.RUNNING.value)
    recorded = _save(item, condition)
    if not recorded:
        logger.info("automation state already final; left as is")
    return recorded


def _final_item(
    order_id: str, state: AutomationState, reason: str | None, ssr_id: str | None, attempt: int
) -> AutomationItem:
    return AutomationItem(
        pk=order_pk(order_id),
        sk=AUTOMATION_SK,
        order_id=order_id,
        state=state.value,
        reason=reason[:1000] if reason else None,
        ssr_id=ssr_id,
        attempt=attempt if attempt > 1 else None,
        updated_at=iso(now()),
        attention=state.value if state.value in _NEEDS_ATTENTION else None,
    )


def _may_become(state: AutomationState) -> Condition:
    """No state yet, a replaceable one, or this very state (a re-run)."""
    condition: Condition = (
        AutomationItem.pk.does_not_exist()
        | AutomationItem.state.is_in(*_REPLACEABLE)
        | (AutomationItem.state == state.value)
    )
    return condition


def record_final(
    order_id: str,
    state: AutomationState,
    entry: AuditItem,
    *,
    reason: str | None = None,
    ssr_id: str | None = None,
    attempt: int = 1,
) -> bool:
    """Records a final state and its audit entry in one transaction; True when the entry is new (a first run).

    Either part may be refused alone: a final state that must not regress still gets its entry, and an entry
    already there (a re-run) still gets its state written — each by a single write, only in those cases.
    """
    item = _final_item(order_id, state, reason, ssr_id, attempt)
    try:
        with idempotent_write() as transaction:
            transaction.save(item, condition=_may_become(state))
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
    except TransactWriteError as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc
        state_refused, entry_exists = (code in CONDITION_FAILED_CODES for code in cancellation_codes(exc))
        if state_refused:
            logger.info(
                "automation state not changed: a final state is already recorded", extra={"refused": state.value}
            )
        if entry_exists and not state_refused:
            _save(item, _may_become(state))
        if state_refused and not entry_exists:
            return audit.save(entry)
        return False
    return True


def attempt_of(item: AutomationItem | None) -> int:
    """The attempt the recorded state belongs to (1 when nothing is recorded or the stream's run wrote it)."""
    return int(item.attempt) if item is not None and item.attempt else 1


def _unchanged_since(previous: AutomationItem | None) -> Condition:
    """The item is as `previous` was read: absent, or with the same state written at the same time."""
    if previous is None:
        absent: Condition = AutomationItem.pk.does_not_exist()
        return absent
    same: Condition = (AutomationItem.state == previous.state) & (AutomationItem.updated_at == previous.updated_at)
    return same


def claim_rerun(order_id: str, previous: AutomationItem | None, execution_name: str, entry: AuditItem) -> None:
    """Moves the automation to `running` under a re-run's execution, with its audit entry, in one transaction.

    Conditional on the state read before (`previous`): of two staff re-running at once, one wins and the other gets
    Conflict, so one order never runs two re-runs at the same time.
    """
    item = _running_item(order_id, execution_name, attempt_of(previous) + 1)
    try:
        with idempotent_write() as transaction:
            transaction.save(item, condition=_unchanged_since(previous))
            transaction.save(entry, condition=AuditItem.pk.does_not_exist())
    except TransactWriteError as exc:
        error = storage_error(exc)
        if isinstance(error, errors.Conflict):
            raise errors.Conflict("The automation changed meanwhile (another re-run?); read it again.") from exc
        raise error from exc


def release_rerun(order_id: str, previous: AutomationItem | None, execution_name: str) -> None:
    """Puts back the state a re-run replaced, when its execution could not be started (only if nothing moved on)."""
    ours: Condition = (AutomationItem.state == AutomationState.RUNNING.value) & (
        AutomationItem.execution_name == execution_name
    )
    try:
        if previous is None:
            AutomationItem(pk=order_pk(order_id), sk=AUTOMATION_SK).delete(condition=ours)
        else:
            previous.save(condition=ours)
    except (PutError, DeleteError) as exc:
        error = storage_error(exc)
        if not isinstance(error, errors.Conflict):
            raise error from exc
        logger.info("re-run state not released: it moved on already")


def as_automation(item: AutomationItem) -> Automation:
    return Automation(state=AutomationState(item.state), reason=item.reason)
