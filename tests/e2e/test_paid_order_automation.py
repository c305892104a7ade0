"""The paid-order automation through the local stack: PUT /orders → Orders stream → SSR workflow → what it recorded
(GET /orders/{id}/service-request) and sent (SES email, SNS staff notice, read back from moto).

Delivery counts and the stream DLQ are covered in test_order_stream.py; these tests are about the outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.aws.readback import executions_for_order, sent_emails, staff_notices
from local.event_sources.stream_poller import lambda_record
from local.scenarios.sample_catalog import (
    BATTERY_ID,
    COMPATIBILITY_RULES,
    CUSTOMER,
    INSTALLATION_SERVICE,
    INSTALLATION_SERVICE_ID,
    INVERTER_ID,
    PANEL_ID,
    PRODUCTS,
    SMALL_BATTERY_ID,
    WARRANTY_RULES,
    order_line,
    sample_order,
)
from local.stack_process import StackProcess
from tests.e2e.conftest import Api, wait_until
from tests.e2e.test_invoke_and_stop import invoke

FINAL_STATES = {"created", "skipped", "flagged", "failed"}
SSR_KEYS = {"ssr_id", "order_id", "status", "system_size_kw", "system_type", "created_at"}
INSTALLATION_REQUEST_KEYS = {"id", "status", "installation_type", "customer_name", "phone", "address"}
WARRANTY_KEYS = {"warranty_id", "product_id", "start_date", "end_date", "duration_days"}
STREAM_MAPPING = "OrderPaidHandlerFunctionOrderBecamePaid"


def new_order_id(label: str) -> str:
    return f"SO-E2E-AUTO-{label}-{uuid.uuid4().hex[:6]}"


def put_order(api: Api, body: dict[str, Any]) -> None:
    answer = api.request("PUT", f"/orders/{body['order_id']}", json=body)
    assert answer.status_code in (200, 201), answer.text


def automation_done(api: Api, order_id: str) -> dict[str, Any]:
    """The order's service-request view once its automation state is final."""

    def final_view() -> dict[str, Any] | None:
        answer = api.request("GET", f"/orders/{order_id}/service-request")
        if answer.status_code != 200:
            return None
        view: dict[str, Any] = answer.json()
        return view if view["automation"]["state"] in FINAL_STATES else None

    view: dict[str, Any] = wait_until(final_view, timeout_s=20)
    return view


def wait_until_the_stream_has_passed(api: Api) -> None:
    """Writes the stream filter drops leave nothing to wait for; the stream is handled in order, so once a later
    paid order's automation is done, every earlier write has been handled."""
    marker = new_order_id("marker")
    put_order(api, sample_order(marker, [order_line(INSTALLATION_SERVICE_ID)]))
    automation_done(api, marker)


def executions(local_stack: dict[str, Any], aws: Callable[[str], Any], order_id: str) -> list[dict[str, Any]]:
    return executions_for_order(aws("stepfunctions"), local_stack["state_machine_arn"], order_id)


def emails(local_stack: dict[str, Any], order_id: str) -> list[dict[str, Any]]:
    return sent_emails(local_stack["aws_endpoint_url"], f"Order Confirmation - {order_id}")


def notices(local_stack: dict[str, Any], order_id: str) -> list[dict[str, Any]]:
    return staff_notices(local_stack["aws_endpoint_url"], local_stack["resources"]["StaffNotificationsTopic"], order_id)


# Other e2e tests share the stack and may add warranty rules for whole categories (the API fuzzing does), so the
# durations checked here come from rules for these products, which beat any category rule. The category rule and
# the 365-day default are checked on a stack of their own: tests/integration/test_ssr_workflow.py and `make demo`.
PRODUCT_WARRANTY_RULES = [
    {"product_id": INVERTER_ID, "duration_days": 730, "priority": 10},
    {"product_id": BATTERY_ID, "duration_days": 3650, "priority": 10},
    {"product_id": PANEL_ID, "duration_days": 9125, "priority": 10},
]


@pytest.fixture(scope="module")
def catalog(api: Api) -> None:
    """The sample catalog through the API, with a warranty rule per product; what already exists is kept."""
    for product in (*PRODUCTS, INSTALLATION_SERVICE):
        answer = api.request("PUT", f"/products/{product['sku']}", json=product)
        assert answer.status_code in (200, 201), answer.text
    for rule in COMPATIBILITY_RULES:
        answer = api.request("POST", "/products/compatibility/rules", json=rule)
        assert answer.status_code in (201, 409), answer.text
    existing = api.request("GET", "/warranty-rules").json()["items"]
    for rule in (*WARRANTY_RULES, *PRODUCT_WARRANTY_RULES):
        if not any(all(stored.get(key) == value for key, value in rule.items()) for stored in existing):
            assert api.request("POST", "/warranty-rules", json=rule).status_code == 201


@pytest.fixture(scope="module")
def paid_order(api: Api, catalog: None) -> dict[str, Any]:
    """John Doe's complete system, won and paid, with serial numbers on the inverter and battery lines: its view."""
    order_id = new_order_id("paid")
    items = [
        order_line(INVERTER_ID, 1, ["INV-SN-1"]),
        order_line(BATTERY_ID, 2, ["BAT-SN-1", "BAT-SN-2"]),
        order_line(PANEL_ID, 10),
    ]
    put_order(api, sample_order(order_id, items))
    return {"order_id": order_id, "view": automation_done(api, order_id)}


def test_a_paid_order_gets_one_pending_ssr_and_installation_request_in_the_contracts_shape(
    api: Api, paid_order: dict[str, Any]
) -> None:
    # given John Doe's paid order for the complete system, and its automation done
    view, order_id = paid_order["view"], paid_order["order_id"]
    # then the service request has the contract's shape and says what was created
    assert set(view) >= {"ssr", "installation_request", "warranties", "audit", "automation"}
    assert view["automation"]["state"] == "created"
    ssr, request = view["ssr"], view["installation_request"]
    assert set(ssr) >= SSR_KEYS
    assert (ssr["order_id"], ssr["status"], ssr["system_size_kw"], ssr["system_type"]) == (
        order_id,
        "PENDING",
        5.0,
        "hybrid",
    )
    assert set(request) >= INSTALLATION_REQUEST_KEYS
    assert (request["status"], request["installation_type"]) == ("pending", "hybrid")
    assert (request["customer_name"], request["phone"]) == ("John Doe", CUSTOMER["phone"])
    assert request["address"]["city"] == "Harare"
    assert all(set(entry) == {"at", "action", "detail"} for entry in view["audit"])
    # and the SSR reads the same by its own id
    by_ssr = api.request("GET", f"/service-requests/{ssr['ssr_id']}")
    assert by_ssr.status_code == 200
    assert by_ssr.json() == view


def test_each_serial_number_gets_its_own_warranty_running_for_its_products_rule(
    paid_order: dict[str, Any],
) -> None:
    # given the paid order's lines: inverter x1 (1 serial), battery x2 (2 serials), panel x10 (no serials)
    warranties = paid_order["view"]["warranties"]
    # then one warranty per serial number and one for the panel line, each as long as its product's rule says
    assert all(set(warranty) >= WARRANTY_KEYS for warranty in warranties)
    assert sorted((w["product_id"], w.get("serial_number"), w["duration_days"]) for w in warranties) == [
        (BATTERY_ID, "BAT-SN-1", 3650),
        (BATTERY_ID, "BAT-SN-2", 3650),
        (INVERTER_ID, "INV-SN-1", 730),
        (PANEL_ID, None, 9125),
    ]
    for warranty in warranties:
        start, end = date.fromisoformat(warranty["start_date"]), date.fromisoformat(warranty["end_date"])
        assert end - start == timedelta(days=warranty["duration_days"])


def test_the_customer_gets_one_confirmation_email_naming_the_ssr(
    local_stack: dict[str, Any], paid_order: dict[str, Any]
) -> None:
    # given the paid order's automation is done
    order_id, ssr_id = paid_order["order_id"], paid_order["view"]["ssr"]["ssr_id"]
    # then SES sent one confirmation to the customer, and it names the SSR
    (email,) = emails(local_stack, order_id)
    assert email["destinations"]["ToAddresses"] == [CUSTOMER["email"]]
    assert ssr_id in email["body"]


def test_staff_get_one_notice_with_the_orders_branch_as_a_message_attribute(
    local_stack: dict[str, Any], paid_order: dict[str, Any]
) -> None:
    # given the paid order's automation is done
    order_id, ssr_id = paid_order["order_id"], paid_order["view"]["ssr"]["ssr_id"]
    # then the staff topic got one notice naming the SSR, carrying the branch and no contact details
    (notice,) = notices(local_stack, order_id)
    assert notice["attributes"]["branch"]["Value"] == "harare"
    assert ssr_id in notice["message"]
    assert CUSTOMER["phone"] not in notice["message"]
    assert CUSTOMER["email"] not in notice["message"]


def stream_records_of(aws: Callable[[str], Any], stream_arn: str, order_id: str) -> list[dict[str, Any]]:
    """The order's records in the Orders stream, oldest first, as moto returns them."""
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    position, found = iterator["ShardIterator"], []
    while (answer := streams.get_records(ShardIterator=position, Limit=1000))["Records"]:
        found += [record for record in answer["Records"] if record["dynamodb"]["Keys"]["order_id"]["S"] == order_id]
        position = answer["NextShardIterator"]
    return found


def test_a_resave_and_a_replayed_stream_record_create_no_second_ssr_execution_email_or_notice(
    api: Api,
    local_stack: dict[str, Any],
    local_stack_process: StackProcess,
    aws: Callable[[str], Any],
    catalog: None,
    tmp_path: Path,
) -> None:
    # given a paid order whose SSR exists
    order_id = new_order_id("replay")
    put_order(api, sample_order(order_id))
    ssr_id = automation_done(api, order_id)["ssr"]["ssr_id"]
    # when the CRM saves it again, and the stream record that made it paid is delivered to the handler once more
    put_order(api, sample_order(order_id, notes="Gate code 1234."))
    stream_arn = local_stack["event_source_mappings"][STREAM_MAPPING]["event_source_arn"]
    inserted = next(r for r in stream_records_of(aws, stream_arn, order_id) if r["eventName"] == "INSERT")
    replay = {"Records": [lambda_record(inserted, stream_arn, local_stack["region"])]}
    replayed = invoke(local_stack_process.state_file, "OrderPaidHandlerFunction", replay, tmp_path)
    wait_until_the_stream_has_passed(api)
    # then the replay succeeded, and there is still one SSR, one execution, one email and one staff notice
    assert replayed.returncode == 0, replayed.stderr
    view = api.request("GET", f"/orders/{order_id}/service-request").json()
    assert (view["automation"]["state"], view["ssr"]["ssr_id"]) == ("created", ssr_id)
    assert len(executions(local_stack, aws, order_id)) == 1
    assert len(emails(local_stack, order_id)) == 1
    assert len(notices(local_stack, order_id)) == 1


def test_a_paid_order_without_solar_lines_is_skipped_with_no_records_and_no_email(
    api: Api, local_stack: dict[str, Any], catalog: None
) -> None:
    # given a paid order for the installation service only
    order_id = new_order_id("service")
    # when it is saved
    put_order(api, sample_order(order_id, [order_line(INSTALLATION_SERVICE_ID)]))
    view = automation_done(api, order_id)
    # then the automation skipped it, with a reason and nothing created
    assert view["automation"]["state"] == "skipped"
    assert view["automation"]["reason"]
    assert (view["ssr"], view["installation_request"], view["warranties"]) == (None, None, [])
    assert emails(local_stack, order_id) == []


def test_an_order_with_an_incompatible_battery_is_flagged_in_its_notes_and_to_staff_without_an_ssr(
    api: Api, local_stack: dict[str, Any], catalog: None
) -> None:
    # given a paid order pairing the 5 kW inverter with 1 kWh batteries (an INCOMPATIBLE rule), with a sales note
    order_id = new_order_id("flagged")
    items = [order_line(INVERTER_ID), order_line(SMALL_BATTERY_ID, 4), order_line(PANEL_ID, 10)]
    # when it is saved
    put_order(api, sample_order(order_id, items, notes="Call before delivery."))
    view = automation_done(api, order_id)
    # then it is flagged with the rule's reason, no SSR exists, and the flag is added to the order's notes
    assert view["automation"]["state"] == "flagged"
    assert "Battery too small for inverter" in view["automation"]["reason"]
    assert (view["ssr"], view["installation_request"], view["warranties"]) == (None, None, [])
    notes = api.request("GET", f"/orders/{order_id}").json()["notes"]
    assert "Call before delivery." in notes
    assert "Battery too small for inverter" in notes
    # and staff were told once, for the order's branch; the customer got no email
    (notice,) = notices(local_stack, order_id)
    assert notice["attributes"]["branch"]["Value"] == "harare"
    assert emails(local_stack, order_id) == []


def test_a_won_order_that_is_not_paid_starts_no_execution_and_its_service_request_is_404(
    api: Api, local_stack: dict[str, Any], aws: Callable[[str], Any], catalog: None
) -> None:
    # given a won order whose payment is pending
    order_id = new_order_id("unpaid")
    # when it is saved and the stream has moved past it
    put_order(api, sample_order(order_id, payment_status="pending"))
    wait_until_the_stream_has_passed(api)
    # then no workflow started for it and the read API says so
    answer = api.request("GET", f"/orders/{order_id}/service-request")
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert executions(local_stack, aws, order_id) == []


def test_a_malformed_item_written_around_the_api_is_recorded_as_rejected_and_later_orders_still_get_their_ssr(
    api: Api, local_stack: dict[str, Any], aws: Callable[[str], Any], catalog: None
) -> None:
    # given an item written straight into the Orders table: won and paid, but no customer and a quantity of "lots"
    malformed_id, valid_id = new_order_id("malformed"), new_order_id("after")
    aws("dynamodb").put_item(
        TableName=local_stack["resources"]["OrdersTable"],
        Item={
            "order_id": {"S": malformed_id},
            "order_number": {"S": malformed_id},
            "stage": {"S": "closed_won"},
            "payment_status": {"S": "paid"},
            "items": {"L": [{"M": {"product_id": {"S": INVERTER_ID}, "quantity": {"S": "lots"}}}]},
        },
    )
    # when a valid paid order is saved after it
    put_order(api, sample_order(valid_id))
    # then the valid order gets its SSR: the stream kept flowing past the malformed item
    view = automation_done(api, valid_id)
    assert view["automation"]["state"] == "created"
    assert view["ssr"]["order_id"] == valid_id
    # and the malformed item was recorded as rejected, naming the bad fields, and no workflow started for it
    rejected = aws("dynamodb").query(
        TableName=local_stack["resources"]["InstallationsTable"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :rejected)",
        ExpressionAttributeValues={":pk": {"S": f"ORDER#{malformed_id}"}, ":rejected": {"S": "REJECTED#"}},
        ConsistentRead=True,
    )["Items"]
    assert len(rejected) == 1
    fields = {field["S"] for field in rejected[0]["fields"]["L"]}
    assert {"customer", "items.0.quantity"} <= fields
    assert "malformed" in rejected[0]["reason"]["S"]
    assert executions(local_stack, aws, malformed_id) == []
    assert api.request("GET", f"/orders/{malformed_id}/service-request").status_code == 404
