"""The SSR workflow's steps as use cases. Each is idempotent: a retried or re-run step changes nothing twice.

Steps pass ids, not documents: each reloads what it needs (the order, the stored records), so the workflow's state
stays small and a step re-run after a crash sees the same stored truth as the first attempt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from solar_core import errors
from solar_core.catalog import service as catalog_service
from solar_core.catalog import store as catalog_store
from solar_core.catalog.models import Product
from solar_core.installations import audit, automation, confirmation, ids, portal, records, staff, sync_request
from solar_core.installations.clock import now
from solar_core.installations.messages import (
    confirmation_email,
    flag_note,
    order_flagged_notice,
    ssr_created_notice,
)
from solar_core.installations.models import (
    AutomationState,
    CreatedRecords,
    FailureInput,
    FlagInput,
    OrderSummary,
    SkipInput,
    SsrStepInput,
    StepInput,
    ValidationOutcome,
)
from solar_core.installations.record_plan import plan_record_set
from solar_core.installations.system import LineSplit, split_lines, validation_items
from solar_core.installations.upstream import aws_errors
from solar_core.orders import store as orders
from solar_core.orders.models import Order
from solar_core.settings import get_settings

logger = Logger(child=True)

MAX_REASONS = 20
_SSR_ID_ATTEMPTS = 3


@dataclass(frozen=True)
class _SolarOrder:
    order: Order
    products: dict[str, Product]
    lines: LineSplit


def _order(order_id: str) -> Order:
    with aws_errors("DynamoDB"):
        return orders.get_order(order_id)


def _solar_order(order_id: str) -> _SolarOrder:
    order = _order(order_id)
    with aws_errors("DynamoDB"):
        products = catalog_store.get_products(line.product_id for line in order.items)
    return _SolarOrder(order, products, split_lines(order, products))


@dataclass(frozen=True)
class StepResult:
    """What a step did, and whether this run did it first (metrics count first times only)."""

    output: dict[str, object]
    first_time: bool


def load_order(step: StepInput) -> OrderSummary:
    """LoadOrder: is the order still won and paid, and has it solar lines? (Other lines never get an SSR.)"""
    solar = _solar_order(step.order_id)
    order = solar.order
    skip_reason = None
    if not order.is_won_and_paid:
        skip_reason = "The order is no longer closed won and paid."
    elif not solar.lines.solar:
        skip_reason = "The order has no solar lines."
    logger.info(
        "order loaded",
        extra={"solar_lines": len(solar.lines.solar), "other_lines": len(solar.lines.other), "skip": bool(skip_reason)},
    )
    return OrderSummary(
        order_number=order.order_number,
        proceed=skip_reason is None,
        skip_reason=skip_reason,
        solar_lines=len(solar.lines.solar),
        other_lines=len(solar.lines.other),
    )


def record_skipped(step: SkipInput) -> StepResult:
    first = audit.record(step.order_id, "automation_skipped", step.reason)
    automation.mark_final(step.order_id, AutomationState.SKIPPED, reason=step.reason)
    return StepResult({"state": AutomationState.SKIPPED.value}, first)


def validate(step: StepInput) -> ValidationOutcome:
    """ValidateCompatibility: the catalog's rules engine over the solar lines (no stated size: specs decide)."""
    solar = _solar_order(step.order_id)
    with aws_errors("DynamoDB"):
        report = catalog_service.validate_items(validation_items(solar.lines.solar), None)
    found_errors = [*report.compatibility.errors, *report.system_size.errors]
    warnings = [*report.compatibility.warnings, *report.system_size.warnings]
    logger.info("order validated", extra={"valid": report.overall_valid, "errors": len(found_errors)})
    return ValidationOutcome(
        valid=report.overall_valid,
        errors=found_errors[:MAX_REASONS],
        warnings=warnings[:MAX_REASONS],
    )


def flag_order(step: FlagInput) -> StepResult:
    """FlagOrder: a flag line in the order's notes, an audit entry, one staff notice, automation state `flagged`."""
    order = _order(step.order_id)
    reasons = step.reasons[:MAX_REASONS] or ["The equipment check failed."]
    with aws_errors("DynamoDB"):
        orders.append_order_note(step.order_id, flag_note(reasons))
    first = audit.record(step.order_id, "order_flagged", "; ".join(reasons))
    notice = order_flagged_notice(
        order_number=order.order_number, first_name=order.customer.first_name, reasons=reasons
    )
    staff.notify_staff(step.order_id, staff.NoticeKind.ORDER_FLAGGED, notice, order.branch_id)
    automation.mark_final(step.order_id, AutomationState.FLAGGED, reason="; ".join(reasons))
    return StepResult({"state": AutomationState.FLAGGED.value}, first)


def create_records(step: StepInput) -> CreatedRecords:
    """CreateRecords: the SSR, installation request, warranties and audit in one transaction, once per order.

    An existing guard means an earlier attempt (a crash-and-rerun, a concurrent run) created them: reuse its SSR.
    """
    existing = records.get_guard(step.order_id)
    if existing is not None:
        logger.info("records already exist; reused", extra={"ssr_id": existing.ssr_id})
        return existing
    solar = _solar_order(step.order_id)
    if solar.lines.unknown_product_ids:
        raise errors.Unprocessable(f"Unknown products: {', '.join(sorted(set(solar.lines.unknown_product_ids)))}.")
    with aws_errors("DynamoDB"):
        rules = catalog_store.list_warranty_rules()
    for _ in range(_SSR_ID_ATTEMPTS):
        record_set = plan_record_set(
            solar.order,
            solar_lines=solar.lines.solar,
            products=solar.products,
            rules=rules,
            ssr_id=ids.new_ssr_id(),
            at=now(),
        )
        try:
            records.write_record_set(record_set)
        except records.SsrIdTaken:
            continue
        except (records.OrderAlreadyHasSsr, records.ConcurrentCreation) as exc:
            winner = records.get_guard(step.order_id)
            if winner is None:
                raise errors.UpstreamUnavailable("A concurrent creation has not committed yet; retry.") from exc
            logger.info("another attempt created the records first; reused", extra={"ssr_id": winner.ssr_id})
            return winner
        logger.info("records created", extra={"ssr_id": record_set.ssr.ssr_id})
        return CreatedRecords(
            ssr_id=record_set.ssr.ssr_id,
            installation_request_id=record_set.installation_request.id,
            system_type=record_set.ssr.system_type,
            reused=False,
        )
    raise errors.UpstreamUnavailable("No free SSR id after several attempts; retry.")


def grant_portal_access(step: SsrStepInput) -> StepResult:
    order = _order(step.order_id)
    outcome = portal.grant_portal_access(order.customer)
    first = audit.record(step.order_id, "portal_access_granted", f"Customer portal user {outcome.value}.", step.ssr_id)
    return StepResult({"portal_user": outcome.value}, first)


def send_confirmation(step: SsrStepInput) -> StepResult:
    order = _order(step.order_id)
    stored = records.get_record_set(step.ssr_id)
    email = confirmation_email(
        first_name=order.customer.first_name,
        order_number=order.order_number,
        ssr=stored.ssr,
        installation_request=stored.installation_request,
        warranties=stored.warranties,
        portal_url=get_settings().portal_url,
        portal_username=portal.portal_username(order.customer),
    )
    outcome = confirmation.send_confirmation(step.order_id, order.customer.email, email)
    first = False
    if outcome is not confirmation.EmailOutcome.NO_ADDRESS:
        first = audit.record(step.order_id, "confirmation_sent", f"Order confirmation for {step.ssr_id} emailed.")
    return StepResult({"email": outcome.value}, first)


def notify_staff(step: SsrStepInput) -> StepResult:
    order = _order(step.order_id)
    ssr = records.get_ssr(step.ssr_id)
    notice = ssr_created_notice(order_number=order.order_number, first_name=order.customer.first_name, ssr=ssr)
    staff.notify_staff(step.order_id, staff.NoticeKind.SSR_CREATED, notice, order.branch_id)
    first = audit.record(step.order_id, "staff_notified", f"Staff told about {step.ssr_id}.", step.ssr_id)
    return StepResult({"staff_notice": "published"}, first)


def queue_sync(step: SsrStepInput) -> StepResult:
    ssr = records.get_ssr(step.ssr_id)
    outcome = sync_request.queue_sync(
        order_id=step.order_id,
        ssr_id=ssr.ssr_id,
        installation_request_id=ssr.installation_request_id,
        system_type=ssr.system_type,
    )
    first = False
    if outcome is not sync_request.SyncOutcome.DISABLED:
        detail = f"OpenSolar sync requested for {ssr.installation_request_id}."
        first = audit.record(step.order_id, "sync_queued", detail, step.ssr_id)
    return StepResult({"sync": outcome.value}, first)


def record_outcome(step: SsrStepInput) -> StepResult:
    """RecordOutcome: automation state `created` with the SSR id."""
    automation.mark_final(step.order_id, AutomationState.CREATED, ssr_id=step.ssr_id)
    first = audit.record(step.order_id, "automation_completed", f"Automation completed for {step.ssr_id}.", step.ssr_id)
    return StepResult({"state": AutomationState.CREATED.value}, first)


def failure_reason(error: str, cause: str) -> str:
    """`Error: message` from the Catch's error and cause (a Lambda cause is JSON with `errorMessage`)."""
    message = cause
    try:
        parsed = json.loads(cause)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        message = str(parsed["errorMessage"])
    return f"{error}: {message}"[:1000] if message else error


def mark_failed(step: FailureInput) -> StepResult:
    """MarkFailed: automation state `failed` with the error name and cause, and an audit entry."""
    reason = failure_reason(step.error, step.cause)
    logger.error("automation failed", extra={"error": step.error})
    first = audit.record(step.order_id, "automation_failed", reason)
    automation.mark_final(step.order_id, AutomationState.FAILED, reason=reason)
    return StepResult({"state": AutomationState.FAILED.value}, first)
