"""A staff re-run of an order's automation: the way forward for an order that was flagged, skipped or failed (or whose
stream record never started it) once staff fixed the order or the catalog.

A re-run is a new execution of the same workflow, named after the order and the attempt (`<order>-<hash>-r<n>`), so
the Step Functions console still tells them apart. The records stay exactly-once: the workflow's order guard keeps
one SSR per order, ever, and the email and the staff notice for a created SSR go out once. What a re-run may repeat
is an outcome's audit entry and a flag notice: those are kept per attempt, so staff see what their re-run found.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from solar_core import errors
from solar_core.automation import state as automation
from solar_core.automation.executions import start_ssr_workflow, still_running
from solar_core.installations import audit
from solar_core.installations.ids import execution_name
from solar_core.installations.models import AutomationState
from solar_core.installations.tables import AutomationItem
from solar_core.orders import store as orders
from solar_core.orders.models import Order, PaymentStatus, Stage

logger = Logger(child=True)


class RerunStarted(BaseModel):
    """The answer of `POST /orders/{id}/automation/rerun`: the new execution's name."""

    execution: str


def _order_ready(order_id: str) -> Order:
    """The order as stored now, when it is a valid closed_won + paid order; else Unprocessable saying why."""
    try:
        order = orders.get_order(order_id)
    except errors.InvalidInput as exc:
        raise errors.Unprocessable(f"{exc.message} Fix the order, then re-run.", details=exc.details) from exc
    if order.stage != Stage.CLOSED_WON or order.payment_status != PaymentStatus.PAID:
        raise errors.Unprocessable(
            f"Order {order_id} is {order.stage} and {order.payment_status}: only a closed_won and paid "
            "order runs the automation."
        )
    return order


def _refuse_if_settled(order_id: str, current: AutomationItem | None) -> None:
    """409 once created, and while the recorded execution really runs (one that died unrecorded does not block)."""
    if current is None:
        return
    if current.state == AutomationState.CREATED.value:
        raise errors.Conflict(f"Order {order_id} has its SSR ({current.ssr_id}); there is nothing to re-run.")
    if current.state == AutomationState.RUNNING.value:
        if current.execution_name is None or still_running(current.execution_name):
            raise errors.Conflict(f"The automation of order {order_id} is running; wait for its outcome.")
        logger.warning("recorded as running but its execution ended unrecorded; re-run allowed")


def rerun_automation(order_id: str, staff_id: str) -> RerunStarted:
    """Starts the automation again for the order; the audit names who asked and which execution runs."""
    _order_ready(order_id)
    current = automation.get_automation(order_id)
    _refuse_if_settled(order_id, current)
    attempt = automation.attempt_of(current) + 1
    name = execution_name(order_id, attempt)
    was = current.state if current else "not started"
    entry = audit.audit_item(
        order_id, "automation_rerun", f"Re-run by {staff_id} (was {was}): execution {name}.", repeatable=True
    )
    automation.claim_rerun(order_id, current, name, entry)
    try:
        start_ssr_workflow(order_id, attempt)
    except errors.UpstreamUnavailable:
        automation.release_rerun(order_id, current, name)
        audit.save(
            audit.audit_item(
                order_id, "automation_rerun_not_started", f"Execution {name} could not start.", repeatable=True
            )
        )
        raise
    logger.info("automation re-run started", extra={"execution_name": name, "attempt": attempt})
    return RerunStarted(execution=name)
