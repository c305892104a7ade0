"""No personal data (the customer's email, phone or WhatsApp number) in any log line or metric the functions write,
over the whole paid-order flow: stream, workflow (portal user, email, staff notice), refund, flag and staff re-run.
The OpenSolar side (sync, webhooks, staff changes) has its own scan in test_no_personal_data_in_opensolar_logs.py."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from local.scenarios.sample_catalog import CUSTOMER
from tests.support.ssr_stack import (
    BATTERY,
    EVENTS,
    SMALL_BATTERY,
    SsrStack,
    complete_system,
    invoke,
    logged,
    new_order_id,
    put_order,
    run_paid_order,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
PERSONAL = (CUSTOMER["email"], CUSTOMER["phone"], CUSTOMER["whatsapp_id"])
SERVICE = "solar-backbone"  # the Powertools logger of every function (POWERTOOLS_SERVICE_NAME)


def assert_no_personal_data(text: str) -> None:
    assert text.strip(), "nothing was captured: the scan would pass vacuously"
    found = [value for value in PERSONAL if value in text]
    assert found == [], f"personal data in the logs: {found}"


def test_the_paid_order_flow_logs_no_email_or_phone(
    stack: SsrStack, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger=SERVICE)  # every level our functions log at; not botocore's wire logs
    # given a paid order that gets its records, then is refunded
    order_id = new_order_id()
    run_paid_order(stack, order_id)
    put_order(order_id, payment_status="refunded")
    stack.deliver_new_records()
    # and an incompatible order, flagged, fixed and re-run by staff
    flagged = new_order_id()
    small = [
        line | {"product_id": SMALL_BATTERY} if line["product_id"] == BATTERY else line for line in complete_system()
    ]
    run_paid_order(stack, flagged, small)
    put_order(flagged)
    stack.deliver_new_records()
    event = copy.deepcopy(json.loads((EVENTS / "projects_rerun_automation.json").read_text()))
    event["pathParameters"] = {"id": flagged}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/dev/orders/{flagged}/automation/rerun"
    assert invoke("projects_api", event)["statusCode"] == 202
    for execution in stack.executions():
        stack.wait_for(execution["executionArn"])
    # then every record and metric line written meanwhile is free of the customer's contact details
    assert len(stack.sent_emails(order_id)) == 1  # the details did flow: to SES, not to the logs
    captured = capsys.readouterr()
    assert_no_personal_data(
        logged([record for record in caplog.records if record.name.startswith(SERVICE)]) + captured.out + captured.err
    )
