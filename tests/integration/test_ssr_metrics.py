"""The cost of one paid order, measured on the in-process stack (tests/support/ssr_metrics.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.ssr_metrics import measure_paid_order

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def test_a_paid_order_takes_twelve_state_transitions_and_a_bounded_number_of_aws_calls() -> None:
    # given the stack and the complete-system order
    # when one paid order is measured
    measured = measure_paid_order()
    print(json.dumps(measured, indent=2))
    # then LoadOrder, HasSolarLines, ValidateCompatibility, IsCompatible, CreateRecords, Fulfil + 4 branches,
    # RecordOutcome and Created were entered once each, with no retries
    assert measured["status"] == "SUCCEEDED"
    assert measured["state_transitions"] == 12
    calls = measured["aws_api_calls"]
    for once in (
        "stepfunctions.StartExecution",
        "dynamodb.TransactWriteItems",
        "sesv2.SendEmail",
        "sns.Publish",
        "sqs.SendMessage",
        "cognito-idp.AdminCreateUser",
    ):
        assert calls[once] == 1, once
    assert measured["aws_api_calls_total"] <= 50
