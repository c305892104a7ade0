"""The automation state of an order (running → created | skipped | flagged | failed), never moved backwards."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, GetError, PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_errors import CONDITION_FAILED_CODES, cancellation_codes, storage_error
from solar_core.installations import audit
from solar_core.installations.clock import iso, now
from solar_core.installations.models import Automation, AutomationState
from solar_core.installations.tables import AUTOMATION_SK, AuditItem, AutomationItem, connection, order_pk

logger = Logger(child=True)

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


def mark_running(order_id: str, execution_name: str) -> bool:
    """Records that the workflow runs for the order, unless a state is already known; True when recorded."""
    item = AutomationItem(
        pk=order_pk(order_id),
        sk=AUTOMATION_SK,
        order_id=order_id,
        state=AutomationState.RUNNING.value,
        execution_name=execution_name,
        updated_at=iso(now()),
    )
    condition = AutomationItem.pk.does_not_exist() | (AutomationItem.state == AutomationState.RUNNING.value)
    recorded = _save(item, condition)
    if not recorded:
        logger.info("automation state already final; left as is")
    return recorded


def _final_item(order_id: str, state: AutomationState, reason: str | None, ssr_id: str | None) -> AutomationItem:
    return AutomationItem(
        pk=order_pk(order_id),
        sk=AUTOMATION_SK,
        order_id=order_id,
        state=state.value,
        reason=reason[:1000] if reason else None,
        ssr_id=ssr_id,
        updated_at=iso(now()),
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
    order_id: str, state: AutomationState, entry: AuditItem, reason: str | None = None, ssr_id: str | None = None
) -> bool:
    """Records a final state and its audit entry in one transaction; True when the entry is new (a first run).

    Either part may be refused alone: a final state that must not regress still gets its entry, and an entry
    already there (a re-run) still gets its state written — each by a single write, only in those cases.
    """
    item = _final_item(order_id, state, reason, ssr_id)
    try:
        with TransactWrite(connection=connection()) as transaction:
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


def as_automation(item: AutomationItem) -> Automation:
    return Automation(state=AutomationState(item.state), reason=item.reason)
