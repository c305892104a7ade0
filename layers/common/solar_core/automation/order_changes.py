"""What a change of an order item means for the automation: start it, note a refund, or reject a malformed item.

The Orders stream's filter passes (a) transitions to closed_won + paid and (b) paid → refunded; this module checks
both again, because a filter is configuration and a replayed or hand-made event may not respect it.

Refunds: an order refunded after its SSR exists gets an audit entry and one staff notice (idempotent via a marker);
nothing is deleted, because installation work may already be scheduled and staff decide what happens to it.
A refund before any SSR exists is only logged: the workflow's LoadOrder sees the order is no longer paid.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from solar_core.automation import state as automation
from solar_core.automation.executions import StartResult, start_ssr_workflow
from solar_core.automation.outreach import staff_notices as staff
from solar_core.automation.outreach.messages import order_refunded_notice
from solar_core.automation.rejections import record_rejection
from solar_core.installations import audit, records
from solar_core.installations.ids import execution_name
from solar_core.orders.models import Order, PaymentStatus, Stage

logger = Logger(child=True)


class ChangeOutcome(StrEnum):
    STARTED = "started"
    ALREADY_STARTED = "already_started"
    REJECTED = "rejected"
    REFUND_NOTED = "refund_noted"
    IGNORED = "ignored"


def _won_and_paid(image: dict[str, Any]) -> bool:
    return image.get("stage") == Stage.CLOSED_WON.value and image.get("payment_status") == PaymentStatus.PAID.value


def became_won_and_paid(new_image: dict[str, Any], old_image: dict[str, Any]) -> bool:
    return _won_and_paid(new_image) and not _won_and_paid(old_image)


def was_refunded(new_image: dict[str, Any], old_image: dict[str, Any]) -> bool:
    return (
        new_image.get("payment_status") == PaymentStatus.REFUNDED.value
        and old_image.get("payment_status") == PaymentStatus.PAID.value
    )


def _problems(exc: ValidationError) -> tuple[str, list[str]]:
    """The invalid fields and a reason naming them, without echoing any value (it may be personal data)."""
    problems = exc.errors(include_input=False, include_url=False)
    fields = [".".join(str(part) for part in problem["loc"]) or "item" for problem in problems]
    details = "; ".join(f"{field}: {problem['msg']}" for field, problem in zip(fields, problems, strict=True))
    return f"The order item is malformed ({details}).", fields


def on_order_change(
    order_id: str, new_image: dict[str, Any], old_image: dict[str, Any], sequence_number: str
) -> ChangeOutcome:
    """Acts on one change of the order item (images as plain dicts; an absent image is `{}`)."""
    if became_won_and_paid(new_image, old_image):
        try:
            Order.model_validate(new_image)
        except ValidationError as exc:
            reason, fields = _problems(exc)
            record_rejection(order_id, sequence_number, reason, fields)
            logger.warning(
                "malformed order item rejected", extra={"fields": fields, "sequence_number": sequence_number}
            )
            return ChangeOutcome.REJECTED
        started = start_ssr_workflow(order_id)
        automation.mark_running(order_id, execution_name(order_id))
        return ChangeOutcome.STARTED if started is StartResult.STARTED else ChangeOutcome.ALREADY_STARTED
    if was_refunded(new_image, old_image):
        return note_refund(order_id, new_image, sequence_number)
    logger.info("not a transition to won and paid, nor a refund; skipped")
    return ChangeOutcome.IGNORED


def _text(image: dict[str, Any], *path: str) -> str:
    value: Any = image
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def note_refund(order_id: str, new_image: dict[str, Any], sequence_number: str = "") -> ChangeOutcome:
    """One staff notice, with its audit entry, when the refunded order already has an SSR; nothing is deleted.

    The stream record's `sequence_number` owns the notice's claim: the mapping delivers the record again only once the
    invocation that claimed is over, so that retry takes the claim over."""
    created = records.get_guard(order_id)
    if created is None:
        logger.info("order refunded before any SSR existed; nothing to note")
        return ChangeOutcome.IGNORED
    order_number = _text(new_image, "order_number") or order_id
    notice = order_refunded_notice(
        order_number=order_number,
        first_name=_text(new_image, "customer", "first_name") or "unknown",
        ssr_id=created.ssr_id,
        installation_request_id=created.installation_request_id,
    )
    detail = f"Order refunded after SSR {created.ssr_id} was created; nothing was deleted."
    entry = audit.audit_item(order_id, "order_refunded", detail, created.ssr_id)
    branch_id = _text(new_image, "branch_id")
    owner = f"stream-{sequence_number}" if sequence_number else None
    staff.notify_staff(order_id, staff.NoticeKind.ORDER_REFUNDED, notice, branch_id, entry=entry, owner=owner)
    return ChangeOutcome.REFUND_NOTED
