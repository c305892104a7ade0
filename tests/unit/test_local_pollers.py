"""The local stack's pollers deliver stream records and queue messages the way Lambda's event source mappings do."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local.aws.template import load_template
from local.event_sources.mappings import ESM_TYPE, EventSourceSpec, event_source_specs
from local.event_sources.queue_poller import QueuePoller
from local.event_sources.stream_poller import Destinations, StreamPoller
from local.runtime.handlers import FunctionSpec

REGION = "us-east-1"
FUNCTION = "OrderPaidHandlerFunction"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    server.stop()


def aws(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


class RecordingFunction:
    """Stands in for a handler: records every event; `answer` decides per event what the handler does."""

    def __init__(self, answer: Callable[[dict[str, Any], int], Any] = lambda event, call: None) -> None:
        self.events: list[dict[str, Any]] = []
        self._answer = answer
        self._lock = threading.Lock()

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        with self._lock:
            self.events.append(event)
            call = len(self.events)
        return self._answer(event, call)

    def delivered_keys(self) -> list[str]:
        return [key_of(record) for event in self.events for record in event["Records"]]


def key_of(record: dict[str, Any]) -> str:
    if "dynamodb" in record:
        return record["dynamodb"]["Keys"]["order_id"]["S"]
    return record["body"]


def wait_until(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def template_filter_criteria() -> dict[str, Any]:
    """The FilterCriteria template.yaml gives the Orders stream mapping (the real filters, not a copy)."""
    events = load_template()["Resources"][FUNCTION]["Properties"]["Events"]
    stream_event = next(e for e in events.values() if e["Type"] == "DynamoDB")
    criteria: dict[str, Any] = stream_event["Properties"]["FilterCriteria"]
    return criteria


def mapping(source_arn: str, **properties: Any) -> EventSourceSpec:
    properties = {
        "EventSourceArn": source_arn,
        "FunctionName": FUNCTION,
        "StartingPosition": "TRIM_HORIZON",
    } | properties
    resource = {"Type": ESM_TYPE, "Properties": properties}
    return event_source_specs({"Mapping": resource}, function_of=lambda name: name)["Mapping"]


def function_spec() -> FunctionSpec:
    arn = f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}"
    return FunctionSpec(FUNCTION, FUNCTION, arn, 512, 15, Path("app.py"), Path(), "handler", {})


def orders_table(endpoint: str) -> tuple[str, str]:
    name = f"orders-{uuid.uuid4().hex[:8]}"
    created = aws(endpoint, "dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return name, created["TableDescription"]["LatestStreamArn"]


def put_order(endpoint: str, table: str, order_id: str, stage: str, payment_status: str) -> None:
    item = {"order_id": {"S": order_id}, "stage": {"S": stage}, "payment_status": {"S": payment_status}}
    aws(endpoint, "dynamodb").put_item(TableName=table, Item=item)


def queue(endpoint: str, **attributes: str) -> tuple[str, str]:
    sqs = aws(endpoint, "sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def stream_poller(endpoint: str, spec: EventSourceSpec, function: RecordingFunction) -> StreamPoller:
    return StreamPoller(
        spec,
        function=function_spec(),
        invoke=function,
        streams=aws(endpoint, "dynamodbstreams"),
        destinations=Destinations(aws(endpoint, "sqs"), aws(endpoint, "sns")),
        region=REGION,
        interval_s=0.05,
    )


def test_an_order_inserted_won_and_paid_reaches_the_function_exactly_once(endpoint: str) -> None:
    # given a stream mapping with the template's filters
    table, stream_arn = orders_table(endpoint)
    function = RecordingFunction()
    poller = stream_poller(endpoint, mapping(stream_arn, FilterCriteria=template_filter_criteria()), function)
    poller.start()
    try:
        # when a won and paid order is inserted
        put_order(endpoint, table, "SO-1", "closed_won", "paid")
        wait_until(lambda: function.delivered_keys() == ["SO-1"])
        time.sleep(0.3)
    finally:
        poller.stop()
    # then it arrived once, shaped as Lambda delivers stream records
    assert function.delivered_keys() == ["SO-1"]
    record = function.events[0]["Records"][0]
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == stream_arn
    assert record["awsRegion"] == REGION
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


def test_writes_the_filters_reject_never_reach_the_function(endpoint: str) -> None:
    # given a stream mapping with the template's filters
    table, stream_arn = orders_table(endpoint)
    function = RecordingFunction()
    poller = stream_poller(endpoint, mapping(stream_arn, FilterCriteria=template_filter_criteria()), function)
    poller.start()
    try:
        # when an order is written as a lead, then won but unpaid, then paid, then saved again while paid
        for stage, payment in [("lead", "pending"), ("closed_won", "pending"), ("closed_won", "paid")]:
            put_order(endpoint, table, "SO-2", stage, payment)
        put_order(endpoint, table, "SO-2", "closed_won", "paid")
        put_order(endpoint, table, "SO-3", "closed_won", "paid")  # marks the end of the writes
        wait_until(lambda: "SO-3" in function.delivered_keys())
    finally:
        poller.stop()
    # then only the change into won + paid and the marker were delivered
    assert function.delivered_keys() == ["SO-2", "SO-3"]
    assert function.events[0]["Records"][0]["eventName"] == "MODIFY"


def test_a_failing_function_parks_the_record_in_the_on_failure_queue_after_its_retries(endpoint: str) -> None:
    # given a mapping with two retries and an on-failure queue, and a function that always fails
    table, stream_arn = orders_table(endpoint)
    dlq_url, dlq_arn = queue(endpoint)
    spec = mapping(
        stream_arn,
        MaximumRetryAttempts=2,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )

    def fail(event: dict[str, Any], call: int) -> None:
        raise RuntimeError("boom")

    function = RecordingFunction(fail)
    poller = stream_poller(endpoint, spec, function)
    poller.start()
    try:
        # when a record arrives
        put_order(endpoint, table, "SO-4", "closed_won", "paid")
        sqs = aws(endpoint, "sqs")
        messages: list[dict[str, Any]] = []
        wait_until(lambda: bool(messages.extend(sqs.receive_message(QueueUrl=dlq_url).get("Messages", []))) or messages)
    finally:
        poller.stop()
    # then it was tried once plus two retries, and the queue holds Lambda's failure record
    assert function.delivered_keys() == ["SO-4"] * 3
    failure = json.loads(messages[0]["Body"])
    sequence_number = function.events[0]["Records"][0]["dynamodb"]["SequenceNumber"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"]["functionError"] == "Unhandled"
    info = failure["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence_number
    assert info["batchSize"] == 1
    assert info["streamArn"] == stream_arn
    assert info["shardId"].startswith("shardId-")


def test_a_reported_item_failure_is_retried_from_that_record_on(endpoint: str) -> None:
    # given three records already in the stream and a function that fails the second one the first time
    table, stream_arn = orders_table(endpoint)
    for order_id in ("SO-5", "SO-6", "SO-7"):
        put_order(endpoint, table, order_id, "closed_won", "paid")
    spec = mapping(stream_arn, FunctionResponseTypes=["ReportBatchItemFailures"])

    def fail_second_once(event: dict[str, Any], call: int) -> dict[str, Any]:
        second = event["Records"][1] if call == 1 else None
        failures = [{"itemIdentifier": second["dynamodb"]["SequenceNumber"]}] if second else []
        return {"batchItemFailures": failures}

    function = RecordingFunction(fail_second_once)
    poller = stream_poller(endpoint, spec, function)
    # when the poller reads them
    poller.start()
    try:
        wait_until(lambda: len(function.events) == 2)
        time.sleep(0.3)
    finally:
        poller.stop()
    # then the retry starts at the failed record and nothing is delivered a third time
    assert [[key_of(r) for r in e["Records"]] for e in function.events] == [["SO-5", "SO-6", "SO-7"], ["SO-6", "SO-7"]]


def test_queue_poller_deletes_successes_and_leaves_reported_failures_to_the_redrive_policy(endpoint: str) -> None:
    # given a queue that moves a message to its DLQ on the third receive, and a function that fails "bad"
    dlq_url, dlq_arn = queue(endpoint)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    queue_url, queue_arn = queue(endpoint, VisibilityTimeout="1", RedrivePolicy=redrive)
    spec = mapping(queue_arn, BatchSize=5, FunctionResponseTypes=["ReportBatchItemFailures"])

    def fail_bad(event: dict[str, Any], call: int) -> dict[str, Any]:
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        }

    function = RecordingFunction(fail_bad)
    sqs = aws(endpoint, "sqs")
    poller = QueuePoller(spec, function, sqs, REGION, interval_s=0.05)
    poller.start()
    try:
        # when both messages are sent
        sqs.send_message(QueueUrl=queue_url, MessageBody="good")
        sqs.send_message(QueueUrl=queue_url, MessageBody="bad")
        messages: list[dict[str, Any]] = []
        wait_until(lambda: bool(messages.extend(sqs.receive_message(QueueUrl=dlq_url).get("Messages", []))) or messages)
        time.sleep(0.3)
    finally:
        poller.stop()
    # then "good" was delivered once and deleted, "bad" twice and then redriven to the DLQ
    assert function.delivered_keys().count("good") == 1
    assert function.delivered_keys().count("bad") == 2
    assert [m["Body"] for m in messages] == ["bad"]
    record = function.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
