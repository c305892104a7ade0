"""The Orders stream poller, with the real OrderPaidHandlerFunction: filters, exactly-once delivery, on-failure DLQ."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from local.scenarios.sample_catalog import INVERTER_ID, order_line, sample_order
from local.stack_process import StackProcess
from tests.e2e.conftest import Api, wait_until

HANDLER = "OrderPaidHandlerFunction"


def order(order_id: str, stage: str = "closed_won", payment_status: str = "paid") -> dict[str, Any]:
    return sample_order(order_id, [order_line(INVERTER_ID)], stage=stage, payment_status=payment_status)


def new_order_id(label: str) -> str:
    return f"SO-E2E-{label}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def stream_mapping(local_stack: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The logical id and summary of the Orders stream mapping of the handler."""
    return next(
        (logical_id, mapping)
        for logical_id, mapping in local_stack["event_source_mappings"].items()
        if mapping["function"] == HANDLER and mapping["kind"] == "dynamodb"
    )


@pytest.fixture
def deliveries(local_stack_process: StackProcess, stream_mapping: tuple[str, dict[str, Any]]) -> Callable[[str], int]:
    """How many times the poller has delivered a record of the order to the handler (from the stack's log)."""
    prefix = f"{stream_mapping[0]} → {HANDLER}: "

    def count(order_id: str) -> int:
        key = json.dumps({"order_id": order_id})
        lines = local_stack_process.log_file.read_text(errors="replace").splitlines()
        return sum(line.split(prefix, 1)[1].count(key) for line in lines if prefix in line)

    return count


def put_order(api: Api, body: dict[str, Any]) -> None:
    answer = api.request("PUT", f"/orders/{body['order_id']}", json=body)
    assert answer.status_code in (200, 201), answer.text


def executions_of(aws: Callable[[str], Any], state_machine_arn: str, order_id: str) -> list[dict[str, Any]]:
    listed = aws("stepfunctions").list_executions(stateMachineArn=state_machine_arn)["executions"]
    return [execution for execution in listed if execution["name"].startswith(f"{order_id}-")]


def stream_sequence_numbers(aws: Callable[[str], Any], stream_arn: str, order_id: str) -> set[int]:
    """The sequence numbers of the order's records in the Orders stream (a save may write more than one)."""
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    position, found = iterator["ShardIterator"], set()
    while (answer := streams.get_records(ShardIterator=position, Limit=1000))["Records"]:
        keys = {int(r["dynamodb"]["SequenceNumber"]): r["dynamodb"]["Keys"]["order_id"]["S"] for r in answer["Records"]}
        found |= {number for number, key in keys.items() if key == order_id}
        position = answer["NextShardIterator"]
    assert found, f"{order_id} is not in the stream"
    return found


def parked(aws: Callable[[str], Any], dlq_url: str, sequence_numbers: set[int]) -> dict[str, Any] | None:
    """The DLQ's failure record that covers one of the sequence numbers, if it has arrived."""
    for message in aws("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", []):
        failure: dict[str, Any] = json.loads(message["Body"])
        info = failure["DDBStreamBatchInfo"]
        if any(int(info["startSequenceNumber"]) <= n <= int(info["endSequenceNumber"]) for n in sequence_numbers):
            return failure
    return None


def test_an_order_that_becomes_won_and_paid_reaches_the_handler_once_and_starts_one_workflow(
    api: Api, local_stack: dict[str, Any], aws: Callable[[str], Any], deliveries: Callable[[str], int]
) -> None:
    # given an order that is won and paid
    order_id, marker = new_order_id("paid"), new_order_id("marker")
    # when it is saved, saved again unchanged, and then another paid order follows
    put_order(api, order(order_id))
    wait_until(lambda: executions_of(aws, local_stack["state_machine_arn"], order_id))
    put_order(api, order(order_id))
    put_order(api, order(marker))
    wait_until(lambda: executions_of(aws, local_stack["state_machine_arn"], marker))
    # then the handler saw the order once and one workflow execution was started for it
    assert deliveries(order_id) == 1
    assert len(executions_of(aws, local_stack["state_machine_arn"], order_id)) == 1


def test_writes_that_are_not_a_transition_to_won_and_paid_never_reach_the_handler(
    api: Api, local_stack: dict[str, Any], aws: Callable[[str], Any], deliveries: Callable[[str], int]
) -> None:
    # given an order that goes from lead to won but stays unpaid
    order_id, marker = new_order_id("unpaid"), new_order_id("marker")
    put_order(api, order(order_id, stage="lead", payment_status="pending"))
    put_order(api, order(order_id, stage="closed_won", payment_status="pending"))
    # when a paid order is written after it and has been handled
    put_order(api, order(marker))
    wait_until(lambda: executions_of(aws, local_stack["state_machine_arn"], marker))
    # then the unpaid order's records were filtered out
    assert deliveries(order_id) == 0


def test_a_record_the_handler_keeps_failing_is_parked_in_the_order_stream_dlq_after_the_retries(
    api: Api,
    local_stack: dict[str, Any],
    aws: Callable[[str], Any],
    deliveries: Callable[[str], int],
    stream_mapping: tuple[str, dict[str, Any]],
) -> None:
    # given the workflow cannot be started (its state machine is gone for a moment)
    sfn = aws("stepfunctions")
    machine_arn = local_stack["state_machine_arn"]
    machine = sfn.describe_state_machine(stateMachineArn=machine_arn)
    sfn.delete_state_machine(stateMachineArn=machine_arn)
    order_id = new_order_id("dlq")
    dlq_url = local_stack["resources"]["OrderStreamDLQ"]
    try:
        # when an order becomes won and paid
        put_order(api, order(order_id))
        sequence_numbers = stream_sequence_numbers(aws, stream_mapping[1]["event_source_arn"], order_id)
        failure = wait_until(lambda: parked(aws, dlq_url, sequence_numbers), timeout_s=30)
    finally:
        sfn.create_state_machine(
            name=machine["name"], definition=machine["definition"], roleArn=machine["roleArn"], type=machine["type"]
        )
    # then the handler got it once plus every retry, and the DLQ holds Lambda's failure record for it
    _, mapping = stream_mapping
    assert deliveries(order_id) == 1 + mapping["maximum_retry_attempts"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == local_stack["functions"][HANDLER]["arn"]
    assert failure["DDBStreamBatchInfo"]["streamArn"] == mapping["event_source_arn"]
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert sfn.describe_state_machine(stateMachineArn=machine_arn)["stateMachineArn"] == machine_arn
