"""The SSR workflow's steps as use cases. Each is idempotent: a retried or re-run step changes nothing twice.

Steps pass ids and a few facts through the workflow's state, not documents: LoadOrder reads the order once and hands
on its number, branch, the customer's first name and the solar lines; CreateRecords hands on the records' ids, type
and size. A step that needs more (contact details, the full record set) reads it from the stored truth, so a step
re-run after a crash sees what the first attempt saw. Audit entries are written with the state change or the
side-effect marker they describe, in the same DynamoDB write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from solar_core import errors
from solar_core.automation import state as automation
from solar_core.automation import sync_request
from solar_core.automation.outreach import confirmation, portal
from solar_core.automation.outreach import staff_notices as staff
from solar_core.automation.outreach.messages import (
    confirmation_email,
    flag_note,
    order_flagged_notice,
    ssr_created_notice,
)
from solar_core.catalog import service as catalog_service
from solar_core.catalog import store as catalog_store
from solar_core.catalog.models import Product
from solar_core.installations import audit, ids, records
from solar_core.installations.clock import now
from solar_core.installations.models import (
    AutomationState,
    ConfirmationContent,
    ConfirmationInput,
    CreateRecordsInput,
    CreateRecordsOutcome,
    FailureInput,
    FlagInput,
    InstallationRequestRef,
    OrderSummary,
    SkipInput,
    SsrStepInput,
    StaffNoticeInput,
    StepInput,
    SyncInput,
    ValidateInput,
    ValidationOutcome,
)
from solar_core.installations.record_plan import plan_record_set
from solar_core.installations.system import split_lines, validation_items
from solar_core.opensolar import links
from solar_core.orders import store as orders
from solar_core.settings import get_settings

logger = Logger(child=True)

MAX_REASONS = 20
# The products LoadOrder hands on in the workflow's state, at most (Step Functions refuses a state over 256 KB): a
# bigger set is left out, and the steps that need products read them.
PRODUCTS_STATE_BUDGET = 64_000
_SSR_ID_ATTEMPTS = 3


@dataclass(frozen=True)
class StepResult:
    """What a step did, and whether this run did it first (metrics count first times only)."""

    output: dict[str, object]
    first_time: bool


def load_order(step: StepInput) -> OrderSummary:
    """LoadOrder: is the order still won and paid, and has it solar lines? (Other lines never get an SSR.)"""
    order = orders.get_order(step.order_id)
    products, rules_version = catalog_store.get_products_and_rules_version(line.product_id for line in order.items)
    lines = split_lines(order, products)
    skip_reason = None
    if not order.is_won_and_paid:
        skip_reason = "The order is no longer closed won and paid."
    elif not lines.solar:
        skip_reason = "The order has no solar lines."
    handed_on = products if _state_size(products) <= PRODUCTS_STATE_BUDGET else {}
    logger.info(
        "order loaded",
        extra={
            "solar_lines": len(lines.solar),
            "other_lines": len(lines.other),
            "skip": bool(skip_reason),
            "products_handed_on": len(handed_on),
        },
    )
    return OrderSummary(
        order_number=order.order_number,
        branch_id=order.branch_id,
        first_name=order.customer.first_name,
        proceed=skip_reason is None,
        skip_reason=skip_reason,
        solar_lines=len(lines.solar),
        other_lines=len(lines.other),
        solar_items=validation_items(lines.solar),
        products=handed_on,
        rules_version=rules_version,
    )


def _state_size(products: dict[str, Product]) -> int:
    return len(json.dumps({product_id: product.model_dump(mode="json") for product_id, product in products.items()}))


def record_skipped(step: SkipInput) -> StepResult:
    entry = audit.audit_item(step.order_id, "automation_skipped", step.reason, attempt=step.attempt)
    first = automation.record_final(
        step.order_id, AutomationState.SKIPPED, entry, reason=step.reason, attempt=step.attempt
    )
    return StepResult({"state": AutomationState.SKIPPED.value}, first)


def validate(step: ValidateInput) -> ValidationOutcome:
    """ValidateCompatibility: the catalog's rules engine over the solar lines (no stated size: specs decide)."""
    rules = catalog_store.rule_set(step.rules_version)
    report = catalog_service.validate_items(step.items, None, known=step.products, rule_set=rules)
    found_errors = [*report.compatibility.errors, *report.system_size.errors]
    warnings = [*report.compatibility.warnings, *report.system_size.warnings]
    logger.info("order validated", extra={"valid": report.overall_valid, "errors": len(found_errors)})
    return ValidationOutcome(
        valid=report.overall_valid,
        errors=found_errors[:MAX_REASONS],
        warnings=warnings[:MAX_REASONS],
    )


def flag_order(step: FlagInput) -> StepResult:
    """FlagOrder: a flag line in the order's notes, one staff notice, automation state `flagged` with its audit."""
    reasons = step.reasons[:MAX_REASONS] or ["The equipment check failed."]
    orders.append_order_note(step.order_id, flag_note(reasons))
    notice = order_flagged_notice(order_number=step.order_number, first_name=step.first_name, reasons=reasons)
    staff.notify_staff(
        step.order_id,
        staff.NoticeKind.ORDER_FLAGGED,
        notice,
        step.branch_id,
        attempt=step.attempt,
        owner=step.execution,
    )
    entry = audit.audit_item(step.order_id, "order_flagged", "; ".join(reasons), attempt=step.attempt)
    first = automation.record_final(
        step.order_id, AutomationState.FLAGGED, entry, reason="; ".join(reasons), attempt=step.attempt
    )
    return StepResult({"state": AutomationState.FLAGGED.value}, first)


def create_records(step: CreateRecordsInput) -> CreateRecordsOutcome:
    """CreateRecords: the SSR, installation request, warranties and audit in one transaction, once per order.

    The transaction's guard decides, so the happy path reads no guard. Only when the transaction finds one (an earlier
    attempt, crashed and re-run, or a concurrent one made the records) or the order can no longer be planned (it or
    the catalog changed since) is the guard read, and its SSR reused when it exists.
    """
    try:
        return _create_records(step)
    except (
        records.OrderAlreadyHasSsr,
        records.ConcurrentCreation,
        errors.Unprocessable,
        errors.InvalidInput,
        errors.NotFound,
    ) as exc:
        existing = records.get_guard(step.order_id)
        if existing is None:
            if isinstance(exc, records.OrderAlreadyHasSsr):
                raise errors.UpstreamUnavailable("A concurrent creation has not committed yet; retry.") from exc
            raise
    logger.info("records already exist; reused", extra={"ssr_id": existing.ssr_id})
    return CreateRecordsOutcome(**existing.model_dump(), reused=True)


def _create_records(step: CreateRecordsInput) -> CreateRecordsOutcome:
    """The order is read again (the records carry the customer's details, which the workflow's state never holds);
    its products and the rules' version come from LoadOrder, and only the products it did not hand on are read."""
    order = orders.get_order(step.order_id)
    known = step.products
    products = {line.product_id: known[line.product_id] for line in order.items if line.product_id in known}
    missing = [line.product_id for line in order.items if line.product_id not in products]
    if missing:
        products |= catalog_store.get_products(missing)
    lines = split_lines(order, products)
    if lines.unknown_product_ids:
        raise errors.Unprocessable(f"Unknown products: {', '.join(sorted(set(lines.unknown_product_ids)))}.")
    rules = list(catalog_store.rule_set(step.rules_version).warranty)
    for _ in range(_SSR_ID_ATTEMPTS):
        record_set = plan_record_set(
            order, solar_lines=lines.solar, products=products, rules=rules, ssr_id=ids.new_ssr_id(), at=now()
        )
        try:
            records.write_record_set(record_set, also=links.add_for_record_set)
        except records.SsrIdTaken:
            continue
        ssr = record_set.ssr
        logger.info("records created", extra={"ssr_id": ssr.ssr_id})
        request = record_set.installation_request
        return CreateRecordsOutcome(
            ssr_id=ssr.ssr_id,
            installation_request_id=ssr.installation_request_id,
            system_type=ssr.system_type,
            system_size_kw=ssr.system_size_kw,
            reused=False,
            confirmation=ConfirmationContent(
                ssr=ssr,
                installation_request=InstallationRequestRef(id=request.id, status=request.status),
                warranties=record_set.warranties,
            ),
        )
    raise errors.UpstreamUnavailable("No free SSR id after several attempts; retry.")


def grant_portal_access(step: SsrStepInput) -> StepResult:
    outcome = portal.grant_portal_access(orders.get_customer(step.order_id))
    first = audit.record(step.order_id, "portal_access_granted", f"Customer portal user {outcome.value}.", step.ssr_id)
    return StepResult({"portal_user": outcome.value}, first)


def send_confirmation(step: ConfirmationInput) -> StepResult:
    customer = orders.get_customer(step.order_id)
    content = step.confirmation or _stored_confirmation(step.ssr_id)
    email = confirmation_email(
        first_name=step.first_name,
        order_number=step.order_number,
        ssr=content.ssr,
        installation_request=content.installation_request,
        warranties=content.warranties,
        portal_url=get_settings().portal_url,
        portal_username=portal.portal_username(customer),
    )
    entry = audit.audit_item(step.order_id, "confirmation_sent", f"Order confirmation for {step.ssr_id} emailed.")
    outcome = confirmation.send_confirmation(step.order_id, customer.email, email, entry=entry, owner=step.execution)
    return StepResult({"email": outcome.value}, outcome is confirmation.EmailOutcome.SENT)


def _stored_confirmation(ssr_id: str) -> ConfirmationContent:
    """What the email shows, read from the stored record set (records an earlier attempt made)."""
    stored = records.get_record_set(ssr_id)
    request = stored.installation_request
    return ConfirmationContent(
        ssr=stored.ssr,
        installation_request=InstallationRequestRef(id=request.id, status=request.status) if request else None,
        warranties=stored.warranties,
    )


def notify_staff(step: StaffNoticeInput) -> StepResult:
    notice = ssr_created_notice(order_number=step.order_number, first_name=step.first_name, records=step)
    entry = audit.audit_item(step.order_id, "staff_notified", f"Staff told about {step.ssr_id}.", step.ssr_id)
    published = staff.notify_staff(
        step.order_id, staff.NoticeKind.SSR_CREATED, notice, step.branch_id, entry=entry, owner=step.execution
    )
    return StepResult({"staff_notice": "published"}, published)


def queue_sync(step: SyncInput) -> StepResult:
    detail = f"OpenSolar sync requested for {step.installation_request_id}."
    outcome = sync_request.queue_sync(
        order_id=step.order_id,
        ssr_id=step.ssr_id,
        installation_request_id=step.installation_request_id,
        system_type=step.system_type,
        entry=audit.audit_item(step.order_id, "sync_queued", detail, step.ssr_id),
        owner=step.execution,
    )
    return StepResult({"sync": outcome.value}, outcome is sync_request.SyncOutcome.QUEUED)


def record_outcome(step: SsrStepInput) -> StepResult:
    """RecordOutcome: automation state `created` with the SSR id, and its audit entry."""
    detail = f"Automation completed for {step.ssr_id}."
    entry = audit.audit_item(step.order_id, "automation_completed", detail, step.ssr_id)
    first = automation.record_final(step.order_id, AutomationState.CREATED, entry, ssr_id=step.ssr_id)
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
    entry = audit.audit_item(step.order_id, "automation_failed", reason, attempt=step.attempt)
    first = automation.record_final(step.order_id, AutomationState.FAILED, entry, reason=reason, attempt=step.attempt)
    return StepResult({"state": AutomationState.FAILED.value}, first)
