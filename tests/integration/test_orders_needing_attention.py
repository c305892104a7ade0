"""`GET /automation/orders` (projects_api): the orders staff must act on — flagged or failed, with the reason — read
from the sparse NeedsAttention index, on the real workflow."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bench.api_calls import counted_api_calls
from tests.support.ssr_stack import (
    BATTERY,
    EVENTS,
    SMALL_BATTERY,
    SsrStack,
    complete_system,
    invoke,
    new_order_id,
    put_order,
    run_paid_order,
    unverified_sender,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def needing_attention(**query: str) -> tuple[int, dict[str, Any]]:
    event = copy.deepcopy(json.loads((EVENTS / "projects_orders_needing_attention.json").read_text()))
    event["queryStringParameters"] = query or None
    event["rawQueryString"] = "&".join(f"{key}={value}" for key, value in query.items())
    response = invoke("projects_api", event)
    return response["statusCode"], json.loads(response["body"])


def with_battery(battery: str) -> list[dict[str, Any]]:
    return [line | {"product_id": battery} if line["product_id"] == BATTERY else line for line in complete_system()]


def test_flagged_and_failed_orders_are_listed_with_their_reason_and_leave_the_list_once_re_run(
    stack: SsrStack,
) -> None:
    # given one order flagged, one failed (SES refused the email), and one created
    flagged, failed, created = new_order_id(), new_order_id(), new_order_id()
    run_paid_order(stack, flagged, with_battery(SMALL_BATTERY))
    with unverified_sender():
        run_paid_order(stack, failed)
    run_paid_order(stack, created)
    # when staff list the orders needing attention, all of them and by state
    with counted_api_calls() as calls:
        status, both = needing_attention(limit="100")
    # then the flagged and the failed are there with their reasons, and the created one is not, read without a scan
    assert status == 200
    listed = {item["order_id"]: item for item in both["items"]}
    assert flagged in listed
    assert failed in listed
    assert created not in listed
    assert listed[flagged]["state"] == "flagged"
    assert "Battery too small for inverter" in listed[flagged]["reason"]
    assert listed[failed]["state"] == "failed"
    assert listed[failed]["reason"]
    assert listed[flagged]["attempt"] == 1
    assert "dynamodb.Scan" not in calls
    assert calls["dynamodb.Query"] >= 1
    _, only_flagged = needing_attention(state="flagged", limit="100")
    assert {item["state"] for item in only_flagged["items"]} == {"flagged"}
    assert flagged in {item["order_id"] for item in only_flagged["items"]}
    # and once the flagged order is fixed and re-run to `created`, it leaves the list
    put_order(flagged, with_battery(BATTERY))
    rerun = invoke("projects_api", _rerun_event(flagged))
    assert rerun["statusCode"] == 202
    stack.wait_for_order(flagged)
    _, after = needing_attention(limit="100")
    assert flagged not in {item["order_id"] for item in after["items"]}


def test_the_list_pages_with_next_token_and_refuses_a_bad_state_or_a_foreign_token(stack: SsrStack) -> None:
    # given three flagged orders
    for _ in range(3):
        run_paid_order(stack, new_order_id(), with_battery(SMALL_BATTERY))
    # when read two at a time
    seen: list[str] = []
    token = None
    while True:
        _, page = needing_attention(state="flagged", limit="2", **({"next_token": token} if token else {}))
        seen += [item["order_id"] for item in page["items"]]
        token = page["next_token"]
        if token is None:
            break
    # then every flagged order comes once, newest first
    assert len(seen) == len(set(seen)) >= 3
    # and a state staff cannot act on, or a token from another filter, is a 400 with a message
    status, body = needing_attention(state="created")
    assert status == 400
    assert "state" in json.dumps(body["details"])
    _, first = needing_attention(state="flagged", limit="1")
    status, body = needing_attention(state="failed", next_token=first["next_token"])
    assert status == 400
    assert "another listing" in body["message"]


def _rerun_event(order_id: str) -> dict[str, Any]:
    event = copy.deepcopy(json.loads((EVENTS / "projects_rerun_automation.json").read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/dev/orders/{order_id}/automation/rerun"
    event["pathParameters"] = {"id": order_id}
    return event
