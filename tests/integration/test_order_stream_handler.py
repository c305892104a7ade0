"""order_paid_handler on Orders stream records: its own guard, malformed items, replays, throttling, refunds."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from solar_core import aws_clients
from tests.support.ssr_stack import (
    EVENTS,
    REGION,
    SsrStack,
    invoke,
    new_order_id,
    put_order,
    run_paid_order,
    throttled,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def sample_records(event_file: str, order_id: str) -> list[dict[str, Any]]:
    """The records of events/<event_file>, re-keyed to `order_id`."""
    text = (EVENTS / event_file).read_text()
    original = json.loads(text)["Records"][0]["dynamodb"]["Keys"]["order_id"]["S"]
    records: list[dict[str, Any]] = json.loads(text.replace(f'"{original}"', f'"{order_id}"'))["Records"]
    return records


def test_records_that_are_not_a_transition_into_won_and_paid_start_nothing(stack: SsrStack, order_id: str) -> None:
    # given an order written as a pending lead, then won but unpaid, then lost
    put_order(order_id, stage="lead", payment_status="pending")
    put_order(order_id, payment_status="pending")
    put_order(order_id, stage="closed_lost", payment_status="paid")
    records = stack.stream_records()
    # when the records reach the handler even past the filter
    response = invoke("order_paid_handler", {"Records": records})
    # then every record succeeds and no execution or automation state exists
    assert response == {"batchItemFailures": []}
    assert stack.executions_of(order_id) == []
    assert stack.installation_items(order_id) == []


def test_the_sample_event_of_an_order_becoming_paid_starts_the_workflow_once(stack: SsrStack, order_id: str) -> None:
    put_order(order_id)
    stack.stream_records()
    records = sample_records("order_paid_became_paid.json", order_id)
    assert invoke("order_paid_handler", {"Records": records}) == {"batchItemFailures": []}
    assert invoke("order_paid_handler", {"Records": records}) == {"batchItemFailures": []}
    assert stack.wait_for_order(order_id)["status"] == "SUCCEEDED"
    assert len(stack.installation_items(order_id, "ssr")) == 1


def test_a_malformed_item_written_around_the_api_is_rejected_with_its_reason_and_the_batch_succeeds(
    stack: SsrStack, order_id: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a well-formed paid order and, in the same batch, a malformed one written straight to the table
    good = new_order_id()
    put_order(good)
    malformed = sample_records("order_paid_malformed.json", order_id)[0]
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=stack.tables["OrdersTable"], Item=malformed["dynamodb"]["NewImage"]
    )
    records = stack.stream_records()
    # when the mapping delivers the batch
    response = stack.deliver(records)
    # then no record fails, the good order runs, and the malformed one is recorded as rejected with its reason
    assert response == {"batchItemFailures": []}
    assert stack.wait_for_order(good)["status"] == "SUCCEEDED"
    assert stack.executions_of(order_id) == []
    (rejected,) = stack.installation_items(order_id, "rejected_record")
    assert rejected["sk"].startswith("REJECTED#")
    assert set(rejected["fields"]) == {"customer.first_name", "items.0.quantity"}
    assert "customer.first_name" in rejected["reason"]
    assert "two" not in rejected["reason"]  # the reason names fields, never their values
    # and a warning log line and the OrderRejected metric went out
    warning = next(record for record in caplog.records if record.getMessage() == "malformed order item rejected")
    assert warning.levelname == "WARNING"
    assert '"OrderRejected":[1.0]' in capsys.readouterr().out


def test_a_throttled_start_fails_only_its_record_and_its_retry_starts_the_workflow(stack: SsrStack) -> None:
    # given two orders becoming paid in one batch, and Step Functions throttling the first StartExecution
    first, second = new_order_id(), new_order_id()
    put_order(first)
    put_order(second)
    records = [record for record in stack.stream_records() if record["dynamodb"].get("NewImage", {}).get("stage")]
    with throttled(aws_clients.client("stepfunctions"), "StartExecution", times=1):
        response = stack.deliver(records)
    # then only the first record is reported failed (by its sequence number)
    first_record = next(r for r in records if r["dynamodb"]["Keys"]["order_id"]["S"] == first)
    assert response == {"batchItemFailures": [{"itemIdentifier": first_record["dynamodb"]["SequenceNumber"]}]}
    assert stack.executions_of(first) == []
    # and when the mapping retries it, the workflow starts; the second order's replay is a no-op
    assert stack.deliver([first_record]) == {"batchItemFailures": []}
    assert stack.wait_for_order(first)["status"] == "SUCCEEDED"
    assert stack.wait_for_order(second)["status"] == "SUCCEEDED"


def test_the_automation_state_never_regresses_from_created_to_running(stack: SsrStack, order_id: str) -> None:
    put_order(order_id)
    records = stack.stream_records()
    stack.deliver(records)
    stack.wait_for_order(order_id)
    stack.deliver(records)
    (state,) = stack.installation_items(order_id, "automation")
    assert state["state"] == "created"


def test_a_refund_after_the_ssr_exists_is_audited_and_told_to_staff_once_and_nothing_is_deleted(
    stack: SsrStack, order_id: str
) -> None:
    # given an order whose SSR exists
    run_paid_order(stack, order_id)
    stack.stream_records()
    # when it is refunded, and the refund record is delivered twice
    put_order(order_id, payment_status="refunded")
    records = stack.stream_records()
    assert stack.deliver(records) == {"batchItemFailures": []}
    assert stack.deliver(records) == {"batchItemFailures": []}
    # then one audit entry, one refund notice (plus the creation notice), and the records are all still there
    assert "order_refunded" in {entry["action"] for entry in stack.installation_items(order_id, "audit")}
    refund_notices = [n for n in stack.staff_notices(order_id) if "refunded" in n["message"]]
    assert len(refund_notices) == 1
    assert refund_notices[0]["attributes"]["branch"]["Value"] == "harare"
    assert len(stack.installation_items(order_id, "ssr")) == 1
    assert len(stack.installation_items(order_id, "warranty")) == 3


def test_a_refund_before_any_ssr_exists_notes_nothing(stack: SsrStack, order_id: str) -> None:
    records = copy.deepcopy(sample_records("order_paid_refunded.json", order_id))
    assert invoke("order_paid_handler", {"Records": records}) == {"batchItemFailures": []}
    assert stack.installation_items(order_id) == []
    assert stack.staff_notices(order_id) == []
