"""The SSR workflow end to end: Orders stream → filter → order_paid_handler → the real ASL on moto's Step Functions
interpreter → ssr_workflow steps, with the idempotency and fault cases of the issue (each ends with exactly one SSR,
one installation request, one set of warranties and one email)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from solar_core import aws_clients
from tests.support.ssr_stack import (
    BATTERY,
    CABLE,
    HYBRID_INVERTER,
    INSTALLATION_SERVICE,
    SMALL_BATTERY,
    SsrStack,
    complete_system,
    invoke,
    put_order,
    run_paid_order,
    step,
    throttled,
    unverified_sender,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def assert_one_record_set(stack: SsrStack, order_id: str, warranties: int = 3) -> dict[str, Any]:
    """Exactly one SSR, installation request, set of warranties, email, staff notice and sync request."""
    (ssr,) = stack.installation_items(order_id, "ssr")
    assert len(stack.installation_items(order_id, "installation_request")) == 1
    assert len(stack.installation_items(order_id, "warranty")) == warranties
    assert len(stack.sent_emails(order_id)) == 1
    assert len(stack.staff_notices(order_id)) == 1
    assert len(stack.sync_messages(order_id)) == 1
    return ssr


def automation_state(stack: SsrStack, order_id: str) -> dict[str, Any]:
    (state,) = stack.installation_items(order_id, "automation")
    return state


def test_a_paid_order_gets_its_ssr_installation_request_warranties_portal_access_email_notice_and_sync(
    stack: SsrStack, order_id: str
) -> None:
    # given the 5kW complete system ordered by John Doe, won and paid
    # when its stream record reaches the handler and the workflow runs
    execution = run_paid_order(stack, order_id)
    # then the execution succeeded through Created, with one record set
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["records"]["system_type"] == "solar"
    ssr = assert_one_record_set(stack, order_id)
    assert (ssr["status"], float(ssr["system_size_kw"]), ssr["system_type"]) == ("PENDING", 5.0, "solar")
    (request,) = stack.installation_items(order_id, "installation_request")
    assert (request["installation_type"], request["status"], request["customer_name"]) == (
        "solar",
        "pending",
        "John Doe",
    )
    durations = sorted(int(w["duration_days"]) for w in stack.installation_items(order_id, "warranty"))
    assert durations == [365, 365, 730]
    assert len(stack.portal_users("263771234567")) == 1
    assert automation_state(stack, order_id)["state"] == "created"
    assert automation_state(stack, order_id)["ssr_id"] == ssr["ssr_id"]


def test_the_same_stream_record_delivered_twice_starts_one_execution(stack: SsrStack, order_id: str) -> None:
    # given the stream records of an order becoming paid
    put_order(order_id)
    records = stack.stream_records()
    # when the mapping delivers them twice (a replay after a timeout)
    first = stack.deliver(records)
    stack.wait_for_order(order_id)
    second = stack.deliver(records)
    # then both batches succeed, one execution ran, and one record set exists
    assert first == second == {"batchItemFailures": []}
    assert len(stack.executions_of(order_id)) == 1
    assert_one_record_set(stack, order_id)


def test_an_order_updated_again_after_its_ssr_exists_starts_no_second_execution(stack: SsrStack, order_id: str) -> None:
    # given an order whose SSR exists
    put_order(order_id)
    became_paid = stack.stream_records()
    stack.deliver(became_paid)
    stack.wait_for_order(order_id)
    # when the CRM saves it again (still won and paid) and the old record is even replayed
    put_order(order_id, notes="Gate code 1234.")
    resaved = stack.stream_records()
    assert stack.deliver(resaved) is None  # the filter passes nothing: no invocation
    invoke("order_paid_handler", {"Records": resaved})  # the handler's own guard, past the filter
    stack.deliver(became_paid)  # the execution name makes a replay a no-op
    # then there is still one execution and one record set
    assert len(stack.executions_of(order_id)) == 1
    assert_one_record_set(stack, order_id)


def test_a_crash_after_create_records_and_a_rerun_of_every_step_change_nothing_twice(
    stack: SsrStack, order_id: str
) -> None:
    # given a first attempt that created the records and crashed before anything else
    put_order(order_id)
    loaded = step("load_order", order_id)
    step("validate", order_id, items=loaded["solar_items"])
    crashed = step("create_records", order_id)
    # when the workflow runs in full, and then every step is run once more with the state it was given
    execution = run_paid_order(stack, order_id)
    state = {**loaded, **crashed, "items": loaded["solar_items"]}
    for name in (
        "load_order",
        "validate",
        "create_records",
        "grant_portal_access",
        "send_confirmation",
        "notify_staff",
        "queue_sync",
        "record_outcome",
    ):
        step(name, order_id, **state)
    # then the workflow reused the first SSR, and each record and message exists once
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["records"]["ssr_id"] == crashed["ssr_id"]
    assert assert_one_record_set(stack, order_id)["ssr_id"] == crashed["ssr_id"]
    assert automation_state(stack, order_id)["state"] == "created"


def test_ses_throttled_twice_then_recovering_sends_one_email_after_the_workflow_retries(
    stack: SsrStack, order_id: str
) -> None:
    # given SES throttling the first two sends
    with throttled(aws_clients.client("sesv2"), "SendEmail", times=2) as attempts:
        # when a paid order runs through the workflow
        execution = run_paid_order(stack, order_id)
    # then SendConfirmation failed twice with UpstreamUnavailable, was retried, and one email went out
    assert execution["status"] == "SUCCEEDED"
    assert attempts == [3]
    failures = [event for event in stack.history(execution["executionArn"]) if event["type"] == "TaskFailed"]
    assert [event["taskFailedEventDetails"]["error"] for event in failures] == ["UpstreamUnavailable"] * 2
    assert_one_record_set(stack, order_id)


def test_dynamodb_throttling_the_order_read_is_retried_and_the_order_gets_one_record_set(
    stack: SsrStack, order_id: str
) -> None:
    # given DynamoDB throttling the first read of the order (LoadOrder's)
    with throttled(aws_clients.client("dynamodb"), "GetItem", times=1) as attempts:
        # when a paid order runs through the workflow
        execution = run_paid_order(stack, order_id)
    # then the orders store turned the throttling into UpstreamUnavailable, the workflow retried, and all went once
    assert execution["status"] == "SUCCEEDED"
    failures = [event for event in stack.history(execution["executionArn"]) if event["type"] == "TaskFailed"]
    assert [event["taskFailedEventDetails"]["error"] for event in failures] == ["UpstreamUnavailable"]
    assert attempts[0] > 1
    assert_one_record_set(stack, order_id)


def test_cognito_throttled_then_recovering_creates_one_portal_user(stack: SsrStack, order_id: str) -> None:
    with throttled(aws_clients.client("cognito-idp"), "AdminCreateUser", times=1) as attempts:
        execution = run_paid_order(stack, order_id, whatsapp_id="263770000101")
    assert execution["status"] == "SUCCEEDED"
    assert attempts == [2]
    assert len(stack.portal_users("263770000101")) == 1
    assert_one_record_set(stack, order_id)


def test_an_order_without_solar_lines_is_skipped_without_an_ssr(stack: SsrStack, order_id: str) -> None:
    execution = run_paid_order(
        stack, order_id, [{"product_id": CABLE, "quantity": 2}, {"product_id": INSTALLATION_SERVICE, "quantity": 1}]
    )
    assert execution["status"] == "SUCCEEDED"
    state = automation_state(stack, order_id)
    assert (state["state"], state["reason"]) == ("skipped", "The order has no solar lines.")
    assert stack.installation_items(order_id, "ssr") == []
    assert stack.sent_emails(order_id) == []


def test_an_order_with_the_battery_too_small_is_flagged_in_its_notes_without_an_ssr(
    stack: SsrStack, order_id: str
) -> None:
    # given the complete system with BAT-1KWH instead of BAT-5KWH
    lines = [
        line | {"product_id": SMALL_BATTERY} if line["product_id"] == BATTERY else line for line in complete_system()
    ]
    # when it runs through the workflow
    execution = run_paid_order(stack, order_id, lines)
    # then it is flagged: the reason in the notes, one staff notice, no SSR and no email
    assert execution["status"] == "SUCCEEDED"
    assert automation_state(stack, order_id)["state"] == "flagged"
    assert "Battery too small for inverter" in stack.order_item(order_id)["notes"]
    assert len(stack.staff_notices(order_id)) == 1
    assert stack.installation_items(order_id, "ssr") == []
    assert stack.sent_emails(order_id) == []


def test_a_partial_order_gets_an_ssr_for_its_solar_lines_only(stack: SsrStack, order_id: str) -> None:
    extra = [{"product_id": CABLE, "quantity": 4}, {"product_id": INSTALLATION_SERVICE, "quantity": 1}]
    execution = run_paid_order(stack, order_id, complete_system(HYBRID_INVERTER) + extra)
    assert execution["status"] == "SUCCEEDED"
    ssr = assert_one_record_set(stack, order_id, warranties=3)
    assert ssr["system_type"] == "hybrid"
    assert {w["product_id"] for w in stack.installation_items(order_id, "warranty")} == {
        HYBRID_INVERTER,
        BATTERY,
        "PANEL-550W",
    }


def test_a_step_that_fails_for_good_is_recorded_as_failed_and_ends_the_execution(
    stack: SsrStack, order_id: str
) -> None:
    # given a sender address SES has not verified (a configuration error no retry can fix)
    with unverified_sender():
        # when a paid order runs through the workflow
        execution = run_paid_order(stack, order_id)
    # then the execution failed, and the automation state says why
    assert (execution["status"], execution["error"]) == ("FAILED", "SsrAutomationFailed")
    state = automation_state(stack, order_id)
    assert state["state"] == "failed"
    assert state["reason"].startswith("UpstreamRejected: SES refused the request")
    assert "automation_failed" in {entry["action"] for entry in stack.installation_items(order_id, "audit")}
    assert stack.sent_emails(order_id) == []


def test_a_claim_left_by_a_dead_attempt_is_taken_over_by_its_executions_retry_and_by_no_one_else(
    stack: SsrStack, order_id: str
) -> None:
    # given an attempt of execution E that claimed the staff notice and died before sending it (no release ran)
    from solar_core import errors
    from solar_core.automation import markers

    put_order(order_id)
    assert markers._claim(order_id, "staff-notice", "E#staff-notice")
    sent: list[str] = []
    # when another execution tries the same notice, and then E's retry does
    with pytest.raises(errors.UpstreamUnavailable):
        markers.run_once(order_id, "staff-notice", lambda: sent.append("F") or "F", owner="F")
    assert markers.run_once(order_id, "staff-notice", lambda: sent.append("E") or "E", owner="E")
    # then only E's retry sent it, at once (no lease to wait out), and it is done for everyone after
    assert sent == ["E"]
    assert not markers.run_once(order_id, "staff-notice", lambda: sent.append("G") or "G", owner="G")
