"""`POST /orders/{id}/automation/rerun` (projects_api): the way forward for a flagged, skipped or failed order, on the
real workflow (moto's Step Functions interpreter running the ASL and the ssr_workflow handler)."""

from __future__ import annotations

import copy
import json
import os
import uuid
from typing import Any
from unittest import mock

import boto3
import pytest

from solar_core import aws_clients, errors
from solar_core.automation import state as automation
from solar_core.installations import audit
from solar_core.installations.ids import execution_name
from solar_core.settings import get_settings
from tests.support.ssr_stack import (
    BATTERY,
    CABLE,
    EVENTS,
    REGION,
    SMALL_BATTERY,
    SsrStack,
    complete_system,
    invoke,
    put_order,
    run_paid_order,
    throttled,
    unverified_sender,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
STAFF_SUB = "7f3c2a10-4b5d-4e6f-8a9b-0c1d2e3f4a5b"  # the sample event's token subject


def rerun(order_id: str, *, groups: str = "[staff]") -> tuple[int, dict[str, Any]]:
    """POST the re-run through the API Gateway sample event, as the staff user of events/ unless `groups` differ."""
    event = copy.deepcopy(json.loads((EVENTS / "projects_rerun_automation.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/dev/orders/{order_id}/automation/rerun"
    event["pathParameters"] = {"id": order_id}
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
    response = invoke("projects_api", event)
    return response["statusCode"], json.loads(response["body"])


def automation_of(stack: SsrStack, order_id: str) -> dict[str, Any]:
    (state,) = stack.installation_items(order_id, "automation")
    return state


def audit_actions(stack: SsrStack, order_id: str) -> list[str]:
    return sorted(entry["action"] for entry in stack.installation_items(order_id, "audit"))


def wait_for_execution(stack: SsrStack, name: str) -> dict[str, Any]:
    (execution,) = [execution for execution in stack.executions() if execution["name"] == name]
    return stack.wait_for(execution["executionArn"])


def with_battery(battery: str) -> list[dict[str, Any]]:
    return [line | {"product_id": battery} if line["product_id"] == BATTERY else line for line in complete_system()]


def test_a_flagged_order_fixed_by_staff_and_re_run_gets_its_records_once(stack: SsrStack, order_id: str) -> None:
    # given an order flagged for a battery too small for its inverter
    run_paid_order(stack, order_id, with_battery(SMALL_BATTERY))
    assert automation_of(stack, order_id)["state"] == "flagged"
    # and staff correcting the battery (the order stays won + paid, so the stream starts nothing)
    put_order(order_id, with_battery(BATTERY))
    assert stack.deliver_new_records() is None
    # when staff re-run the automation
    status, body = rerun(order_id)
    # then a second execution, named after the order and the attempt, creates the records once
    assert status == 202
    assert body == {"execution": execution_name(order_id, 2)}
    assert body["execution"].startswith(f"{order_id}-")
    assert body["execution"].endswith("-r2")
    assert wait_for_execution(stack, body["execution"])["status"] == "SUCCEEDED"
    assert sorted(e["name"] for e in stack.executions() if e["name"].startswith(order_id)) == sorted(
        [execution_name(order_id), execution_name(order_id, 2)]
    )
    state = automation_of(stack, order_id)
    assert state["state"] == "created"
    assert len(stack.installation_items(order_id, "ssr")) == 1
    assert len(stack.sent_emails(order_id)) == 1
    # and the audit tells who re-ran it, from what, as which execution
    (entry,) = [e for e in stack.installation_items(order_id, "audit") if e["action"] == "automation_rerun"]
    assert entry["detail"] == f"Re-run by {STAFF_SUB} (was flagged): execution {body['execution']}."
    assert {"order_flagged", "automation_rerun", "ssr_created", "automation_completed"} <= set(
        audit_actions(stack, order_id)
    )
    # and once created, a further re-run is refused
    again, refusal = rerun(order_id)
    assert (again, refusal["error"]) == (409, "conflict")
    assert "has its SSR" in refusal["message"]


def test_an_order_that_failed_after_its_records_were_created_finishes_on_re_run_with_the_same_ssr(
    stack: SsrStack, order_id: str
) -> None:
    # given a paid order whose confirmation email SES refused (sender not verified): records made, state failed
    with unverified_sender():
        run_paid_order(stack, order_id)
    assert automation_of(stack, order_id)["state"] == "failed"
    (ssr_before,) = stack.installation_items(order_id, "ssr")
    # when the sender is fixed and staff re-run
    status, body = rerun(order_id)
    assert status == 202
    assert wait_for_execution(stack, body["execution"])["status"] == "SUCCEEDED"
    # then the same SSR is kept, and the email, staff notice and sync request go out once
    (ssr_after,) = stack.installation_items(order_id, "ssr")
    assert ssr_after["ssr_id"] == ssr_before["ssr_id"]
    assert automation_of(stack, order_id)["state"] == "created"
    assert len(stack.sent_emails(order_id)) == 1
    assert len(stack.staff_notices(order_id)) == 1
    assert len(stack.sync_messages(order_id)) == 1


def test_a_re_run_that_flags_again_is_audited_and_told_to_staff_again(stack: SsrStack, order_id: str) -> None:
    run_paid_order(stack, order_id, with_battery(SMALL_BATTERY))
    # when staff re-run without fixing anything
    status, body = rerun(order_id)
    assert status == 202
    wait_for_execution(stack, body["execution"])
    # then the second outcome has its own audit entry and staff notice; the order's note is not repeated
    state = automation_of(stack, order_id)
    assert (state["state"], int(state["attempt"])) == ("flagged", 2)
    assert audit_actions(stack, order_id).count("order_flagged") == 2
    assert len(stack.staff_notices(order_id)) == 2
    assert stack.order_item(order_id)["notes"].count("Battery too small for inverter") == 1
    # and a third attempt gets the next name
    third, body = rerun(order_id)
    assert (third, body["execution"]) == (202, execution_name(order_id, 3))
    wait_for_execution(stack, body["execution"])


def test_a_skipped_order_given_solar_lines_is_created_on_re_run(stack: SsrStack, order_id: str) -> None:
    run_paid_order(stack, order_id, [{"product_id": CABLE, "quantity": 1}])
    assert automation_of(stack, order_id)["state"] == "skipped"
    put_order(order_id, complete_system())
    status, body = rerun(order_id)
    assert status == 202
    wait_for_execution(stack, body["execution"])
    assert automation_of(stack, order_id)["state"] == "created"


def test_an_order_that_is_not_won_and_paid_now_is_422_and_starts_nothing(stack: SsrStack, order_id: str) -> None:
    put_order(order_id, payment_status="pending")
    before = len(stack.executions())
    status, body = rerun(order_id)
    assert (status, body["error"]) == (422, "unprocessable")
    assert "closed_won and paid" in body["message"]
    assert len(stack.executions()) == before
    assert stack.installation_items(order_id, "automation") == []


def test_an_unknown_order_is_404_and_a_caller_without_the_staff_role_is_403(stack: SsrStack) -> None:
    assert rerun("SO-NOPE")[0] == 404
    put_order("SO-NOT-STAFF")
    assert rerun("SO-NOT-STAFF", groups="[sales]")[0] == 403


def test_an_order_the_stream_never_started_can_be_started_by_a_re_run(stack: SsrStack, order_id: str) -> None:
    # given a won + paid order whose stream record was lost (nothing recorded for it)
    put_order(order_id)
    stack.stream_records()  # read, never delivered
    # when staff re-run it, it runs as attempt 2 and creates the records
    status, body = rerun(order_id)
    assert (status, body["execution"]) == (202, execution_name(order_id, 2))
    wait_for_execution(stack, body["execution"])
    assert automation_of(stack, order_id)["state"] == "created"
    assert "was not started" in next(
        e["detail"] for e in stack.installation_items(order_id, "audit") if e["action"] == "automation_rerun"
    )


WAITING = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 30, "End": True}}}
DYING = {"StartAt": "Die", "States": {"Die": {"Type": "Fail", "Error": "States.Timeout", "Cause": "timed out"}}}


@pytest.fixture
def stand_in_workflow(request: pytest.FixtureRequest) -> Any:
    """A state machine standing in for the workflow (`request.param`: its definition), so an execution can be held
    running or made to die without recording an outcome, as a timed-out or aborted one would."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"stand-in-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(request.param),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    with mock.patch.dict(os.environ, {"SSR_STATE_MACHINE_ARN": arn}):
        get_settings.cache_clear()
        try:
            yield sfn, arn
        finally:
            get_settings.cache_clear()


def start_first_run(stack: SsrStack, order_id: str, stand_in: Any) -> dict[str, Any]:
    """The stream's first run of a won + paid order, on the stand-in workflow, recorded as running."""
    sfn, machine = stand_in
    put_order(order_id)
    name = execution_name(order_id)
    started = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"order_id": order_id}))
    automation.mark_running(order_id, name)
    return dict(started)


@pytest.mark.parametrize("stand_in_workflow", [WAITING], indirect=True)
def test_409_while_the_recorded_execution_runs(stack: SsrStack, order_id: str, stand_in_workflow: Any) -> None:
    start_first_run(stack, order_id, stand_in_workflow)
    status, body = rerun(order_id)
    assert (status, body["error"]) == (409, "conflict")
    assert "is running" in body["message"]
    assert audit_actions(stack, order_id) == []


@pytest.mark.parametrize("stand_in_workflow", [DYING], indirect=True)
def test_an_execution_that_died_without_recording_its_outcome_does_not_block_a_re_run(
    stack: SsrStack, order_id: str, stand_in_workflow: Any
) -> None:
    started = start_first_run(stack, order_id, stand_in_workflow)
    assert stack.wait_for(started["executionArn"])["status"] == "FAILED"
    assert automation_of(stack, order_id)["state"] == "running"  # what it left behind
    status, body = rerun(order_id)
    assert (status, body["execution"]) == (202, execution_name(order_id, 2))
    assert "was running" in next(
        e["detail"] for e in stack.installation_items(order_id, "audit") if e["action"] == "automation_rerun"
    )


def test_when_the_execution_cannot_start_the_state_is_put_back_and_the_answer_is_503(
    stack: SsrStack, order_id: str
) -> None:
    run_paid_order(stack, order_id, with_battery(SMALL_BATTERY))
    before = automation_of(stack, order_id)
    with throttled(aws_clients.client("stepfunctions"), "StartExecution", times=10):
        status, body = rerun(order_id)
    assert (status, body["error"]) == (503, "upstream_unavailable")
    assert automation_of(stack, order_id) == before
    assert {"automation_rerun", "automation_rerun_not_started"} <= set(audit_actions(stack, order_id))
    # and the next re-run, with Step Functions back, goes ahead
    status, body = rerun(order_id)
    assert (status, body["execution"]) == (202, execution_name(order_id, 2))
    wait_for_execution(stack, body["execution"])


def test_of_two_re_runs_racing_from_the_same_state_one_wins(stack: SsrStack, order_id: str) -> None:
    run_paid_order(stack, order_id, with_battery(SMALL_BATTERY))
    read_by_both = automation.get_automation(order_id)
    first = audit.audit_item(order_id, "automation_rerun", "first", repeatable=True)
    second = audit.audit_item(order_id, "automation_rerun", "second", repeatable=True)
    automation.claim_rerun(order_id, read_by_both, execution_name(order_id, 2), first)
    with pytest.raises(errors.Conflict):
        automation.claim_rerun(order_id, read_by_both, execution_name(order_id, 2), second)
    assert [e["detail"] for e in stack.installation_items(order_id, "audit") if e["action"] == "automation_rerun"] == [
        "first"
    ]
