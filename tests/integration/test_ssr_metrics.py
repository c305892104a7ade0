"""The cost of one paid order, measured on the in-process stack (tests/support/ssr_metrics.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.ssr_metrics import measure_paid_order

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def test_a_warm_paid_order_takes_twelve_state_transitions_and_twenty_aws_calls() -> None:
    # given the stack and the complete-system order
    # when one paid order is measured
    measured = measure_paid_order()
    print(json.dumps(measured, indent=2))
    # then LoadOrder, HasSolarLines, ValidateCompatibility, IsCompatible, CreateRecords, Fulfil + 4 branches,
    # RecordOutcome and Created were entered once each, with no retries
    assert measured["status"] == "SUCCEEDED"
    assert measured["state_transitions"] == 12
    # and each AWS call is one the order needs: the state carries what later steps need, so nothing is read twice
    # by one step or re-read where the state has it, and audit entries go with their state or side effect
    assert measured["aws_api_calls"] == {
        "stepfunctions.StartExecution": 1,
        # LoadOrder and CreateRecords read the order, the portal and the email steps its customer (the sync config
        # is cached by Parameters for 30 s, so this warm container does not read it again)
        "dynamodb.GetItem": 4,
        # the order's products and the rules' version token, once: LoadOrder hands them on in the state; the rules
        # of that version are in this warm container's memory, so no Query (the email shows what CreateRecords
        # handed on)
        "dynamodb.BatchGetItem": 1,
        # automation state running, the portal's audit entry, the claims of the email, staff notice and sync
        "dynamodb.PutItem": 5,
        # the record set (with the OpenSolar link); email, notice and sync each done with its audit entry; state
        # created with its entry
        "dynamodb.TransactWriteItems": 5,
        "cognito-idp.AdminCreateUser": 1,
        "sesv2.SendEmail": 1,
        "sns.Publish": 1,
        "sqs.SendMessage": 1,
    }
    assert measured["aws_api_calls_total"] == 20
