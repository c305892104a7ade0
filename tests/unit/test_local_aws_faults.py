"""The local stack's AWS faults reach function code the way AWS's own answers would, and never the stack's plumbing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.server import ThreadedMotoServer

from local.aws_faults.injector import AwsFaults, FaultRates, InvocationDied, InvocationTimedOut
from local.aws_faults.install import install

REGION = "us-east-1"
# The product's retry policy (solar_core/aws_clients.py): standard mode, 3 retries after the first attempt.
PRODUCT_RETRIES = Config(retries={"mode": "standard", "max_attempts": 3})
ATTEMPTS = 4


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    server.stop()


def aws(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        config=PRODUCT_RETRIES,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )


def faults(**rates: float) -> AwsFaults:
    injected = AwsFaults(FaultRates(**rates), seed=7)
    install(injected)
    return injected


def test_a_throttled_call_is_retried_by_botocore_and_fails_with_the_services_own_code(endpoint: str) -> None:
    # given every attempt of function code throttled
    injected = faults(throttle=1.0)
    dynamodb, sqs = aws(endpoint, "dynamodb"), aws(endpoint, "sqs")
    # when the function lists its tables and its queues
    with injected.invocation("SomeFunction", 30), pytest.raises(ClientError) as dynamodb_error:
        dynamodb.list_tables()
    with injected.invocation("SomeFunction", 30), pytest.raises(ClientError) as sqs_error:
        sqs.list_queues()
    # then each call failed after its attempts with what the service says when it throttles
    assert dynamodb_error.value.response["Error"]["Code"] in (
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
    )
    assert sqs_error.value.response["Error"]["Code"] == "RequestThrottled"
    assert injected.injected["throttle"] == 2 * ATTEMPTS
    assert injected.by_operation["throttle dynamodb:ListTables"] == ATTEMPTS


def test_the_stacks_own_calls_never_see_a_fault(endpoint: str) -> None:
    # given every attempt throttled
    injected = faults(throttle=1.0)
    # when a call is made outside any invocation (a poller, the deploy, the soak's reads)
    answer = aws(endpoint, "dynamodb").list_tables()
    # then it is served, and nothing was injected
    assert "TableNames" in answer
    assert not injected.injected


def test_a_lost_answer_leaves_the_request_applied_each_time_botocore_resends_it(endpoint: str) -> None:
    # given every answer lost after the request was applied
    injected = faults(lost_answer=1.0)
    sqs = aws(endpoint, "sqs")
    url = sqs.create_queue(QueueName="lost-answers")["QueueUrl"]
    # when the function sends one message
    with injected.invocation("SomeFunction", 30), pytest.raises(ReadTimeoutError):
        sqs.send_message(QueueUrl=url, MessageBody="once")
    # then every attempt reached the queue: what an API without an idempotency key risks
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == str(ATTEMPTS)
    assert injected.by_operation["lost_answer sqs:SendMessage"] == ATTEMPTS


def test_a_crashed_invocation_makes_no_aws_call_after_it_died(endpoint: str) -> None:
    # given an invocation bound to crash after one of its first calls
    injected = faults(crash=1.0)
    sqs = aws(endpoint, "sqs")
    answered: list[str] = []

    def function_code() -> None:
        try:
            for _ in range(20):
                sqs.list_queues()
                answered.append("ListQueues")
        except BaseException:
            sqs.list_queues()  # a dead process runs no clean-up: this call dies too
            answered.append("clean-up")
            raise

    # when the function keeps calling AWS, even from an `except BaseException` that tries to clean up
    with injected.invocation("SomeFunction", 30), pytest.raises(InvocationDied) as died:
        function_code()
    # then it died once, right after a call, and is counted with the call it died after
    assert died.value.error_type == "Runtime.ExitError"
    assert len(answered) < 8
    assert "clean-up" not in answered
    assert injected.injected["crash"] == 1
    assert injected.died_after == {"SomeFunction sqs:ListQueues": 1}


def test_a_timed_out_invocation_reports_lambdas_timeout(endpoint: str) -> None:
    # given an invocation bound to run out of time
    injected = faults(timeout=1.0)
    sqs = aws(endpoint, "sqs")

    def function_code() -> None:
        for _ in range(20):
            sqs.list_queues()

    # when the function calls AWS until it is stopped
    with injected.invocation("SomeFunction", 30), pytest.raises(InvocationTimedOut) as timed_out:
        function_code()
    # then it reports what Lambda reports
    assert timed_out.value.error_type == "Sandbox.Timedout"
    assert str(timed_out.value) == "Task timed out after 30.00 seconds"


def test_one_seed_gives_one_sequence_of_faults() -> None:
    # given two stacks' faults with the same seed
    first, second = AwsFaults(FaultRates.scaled(0.3), seed=11), AwsFaults(FaultRates.scaled(0.3), seed=11)
    # when they roll for the same deliveries
    rolls = [[faults.roll("sqs_twice") for _ in range(50)] for faults in (first, second)]
    # then they decide alike
    assert rolls[0] == rolls[1]
    assert first.injected == second.injected
