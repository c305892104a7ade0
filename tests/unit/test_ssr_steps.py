"""Each SSR workflow step, called through the ssr_workflow handler with its events/ssr_<step>.json input (on moto).

The steps are the workflow's contract: each is idempotent, so every test also runs its step again.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest

from solar_core import aws_clients, transactions
from solar_core.catalog import store as catalog_store
from solar_core.catalog.models import ProductIn
from solar_core.errors import InvalidInput, UpstreamUnavailable
from solar_core.opensolar.config import IntegrationConfig, save_config
from tests.support.aws import dynamodb_throttling
from tests.support.ssr_stack import (
    BATTERY,
    CABLE,
    HYBRID_INVERTER,
    INSTALLATION_SERVICE,
    INVERTER,
    SMALL_BATTERY,
    SsrStack,
    complete_system,
    invoke,
    logged,
    new_order_id,
    put_order,
    step,
    throttled,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@pytest.fixture(scope="module")
def ssr_workflow() -> bool:
    """These tests call the steps and handlers directly: no state machine."""
    return False


def loaded(order_id: str) -> dict[str, Any]:
    """LoadOrder's summary, which the workflow's state hands on to the later steps."""
    result: dict[str, Any] = step("load_order", order_id)
    return result


def created(order_id: str) -> dict[str, Any]:
    """CreateRecords' result, which the workflow's state hands on to the fulfilment steps."""
    result: dict[str, Any] = step("create_records", order_id)
    return result


# ---------------------------------------------------------------- LoadOrder, ValidateCompatibility


def test_load_order_lets_a_paid_partial_order_go_on_with_its_solar_lines_counted(
    stack: SsrStack, order_id: str
) -> None:
    # given a paid order with three solar lines, a cable and the installation service
    extra = [{"product_id": CABLE, "quantity": 4}, {"product_id": INSTALLATION_SERVICE, "quantity": 1}]
    put_order(order_id, complete_system() + extra)
    # when LoadOrder runs
    summary = loaded(order_id)
    # then the order goes on, with 3 solar and 2 other lines, and what later steps need (no contact details): the
    # order's products as the catalog holds them, so that no later step reads them again
    products = summary.pop("products")
    assert set(products) == {INVERTER, BATTERY, "PANEL-550W", CABLE, INSTALLATION_SERVICE}
    # and the rules' version token, read with them (the stack's rules were written through the catalog)
    assert re.fullmatch(r"[0-9a-f]{32}", summary.pop("rules_version"))
    assert products[INVERTER]["specs"]["max_pv_input_kw"] == 6.5
    assert not any(key in json.dumps(products) for key in ("email", "phone", "whatsapp"))
    assert summary == {
        "order_number": order_id,
        "branch_id": "harare",
        "first_name": "John",
        "proceed": True,
        "skip_reason": None,
        "solar_lines": 3,
        "other_lines": 2,
        "solar_items": [
            {"product_id": INVERTER, "quantity": 1},
            {"product_id": BATTERY, "quantity": 2},
            {"product_id": "PANEL-550W", "quantity": 10},
        ],
    }


def test_a_throttled_order_read_fails_load_order_as_retryable_and_the_retry_loads_it(
    stack: SsrStack, order_id: str
) -> None:
    put_order(order_id)
    with throttled(aws_clients.client("dynamodb"), "GetItem", times=1):
        with pytest.raises(UpstreamUnavailable):
            loaded(order_id)
        assert loaded(order_id)["proceed"] is True


def test_a_throttled_catalog_read_fails_validation_as_retryable_and_the_retry_validates(
    stack: SsrStack, order_id: str
) -> None:
    # given a paid order, and DynamoDB throttling the next catalog query (a compatibility rule lookup)
    put_order(order_id)
    items = loaded(order_id)["solar_items"]
    with dynamodb_throttling("Query", times=1):
        # when ValidateCompatibility runs, and is retried
        with pytest.raises(UpstreamUnavailable):
            step("validate", order_id, items=items)
        retried = step("validate", order_id, items=items)
    # then the catalog store turned the throttling into a retryable error, and the retry validated the order
    assert retried["valid"] is True


def test_products_too_big_for_the_workflow_state_are_left_out_and_read_by_the_steps_that_need_them(
    stack: SsrStack, order_id: str
) -> None:
    # given a paid order with a panel whose stored specs hold a long datasheet (80 KB)
    datasheet = "Datasheet, every curve and table. " * 2400
    catalog_store.put_product(
        "PANEL-DATASHEET",
        ProductIn(sku="PANEL-DS", name="Panel with datasheet", category="solar_panel", specs={"datasheet": datasheet}),
    )
    put_order(
        order_id,
        [line for line in complete_system() if line["product_id"] != "PANEL-550W"]
        + [{"product_id": "PANEL-DATASHEET", "quantity": 4}],
    )
    # when LoadOrder runs
    summary = loaded(order_id)
    # then it hands on no products (Step Functions refuses a state over 256 KB), and the version token still
    assert summary["products"] == {}
    assert summary["rules_version"]
    # and ValidateCompatibility and CreateRecords read the products themselves
    validation = step("validate", order_id, items=summary["solar_items"], rules_version=summary["rules_version"])
    assert validation["valid"] is True
    created_records = step("create_records", order_id, rules_version=summary["rules_version"])
    assert created_records["ssr_id"].startswith("ISR-")
    assert json.dumps(created_records).count("Datasheet") == 0


def test_load_order_skips_an_order_without_solar_lines_and_one_no_longer_paid(stack: SsrStack) -> None:
    non_solar, pending = new_order_id(), new_order_id()
    put_order(non_solar, [{"product_id": CABLE, "quantity": 4}])
    put_order(pending, payment_status="pending")
    no_solar, unpaid = loaded(non_solar), loaded(pending)
    assert (no_solar["proceed"], no_solar["skip_reason"]) == (False, "The order has no solar lines.")
    assert (unpaid["proceed"], unpaid["skip_reason"]) == (False, "The order is no longer closed won and paid.")


def test_validate_accepts_the_complete_system_and_refuses_the_battery_too_small(stack: SsrStack) -> None:
    # given the complete system, and the same order with BAT-1KWH instead of BAT-5KWH
    complete, small = new_order_id(), new_order_id()
    put_order(complete)
    swapped = [
        line | {"product_id": SMALL_BATTERY} if line["product_id"] == BATTERY else line for line in complete_system()
    ]
    put_order(small, swapped)
    # when both are validated, with the solar lines LoadOrder hands on
    good = step("validate", complete, items=loaded(complete)["solar_items"])
    bad = step("validate", small, items=loaded(small)["solar_items"])
    # then the first passes (warnings only) and the second fails with the rule's reason
    assert (good["valid"], good["errors"]) == (True, [])
    assert bad["valid"] is False
    assert any("Battery too small for inverter" in error for error in bad["errors"])


# ---------------------------------------------------------------- FlagOrder, RecordSkipped


def test_flag_order_notes_audits_and_notifies_once_and_marks_the_order_flagged(stack: SsrStack, order_id: str) -> None:
    # given a paid order whose equipment failed the check
    put_order(order_id, notes="Customer prefers mornings.")
    reasons = ["Battery too small for inverter"]
    # when FlagOrder runs twice (a retry)
    step("flag_order", order_id, **loaded(order_id), reasons=reasons)
    step("flag_order", order_id, **loaded(order_id), reasons=reasons)
    # then the notes hold one flag line, staff got one notice, and the state is flagged with the reason
    notes = stack.order_item(order_id)["notes"].splitlines()
    assert notes[0] == "Customer prefers mornings."
    assert [line for line in notes if "[automation]" in line] == [
        "[automation] Equipment check failed, no SSR created: Battery too small for inverter"
    ]
    notices = stack.staff_notices(order_id)
    assert len(notices) == 1
    assert notices[0]["attributes"]["branch"]["Value"] == "harare"
    (state,) = stack.installation_items(order_id, "automation")
    assert (state["state"], state["reason"]) == ("flagged", "Battery too small for inverter")
    assert [entry["action"] for entry in stack.installation_items(order_id, "audit")] == ["order_flagged"]
    assert stack.installation_items(order_id, "ssr") == []


def test_record_skipped_marks_the_order_skipped_with_the_reason(stack: SsrStack, order_id: str) -> None:
    step("record_skipped", order_id)
    step("record_skipped", order_id)
    (state,) = stack.installation_items(order_id, "automation")
    assert (state["state"], state["reason"]) == ("skipped", "The order has no solar lines.")
    assert len(stack.installation_items(order_id, "audit")) == 1


# ---------------------------------------------------------------- CreateRecords


def test_create_records_writes_the_ssr_installation_request_and_warranties_once(stack: SsrStack, order_id: str) -> None:
    # given the paid complete-system order
    put_order(order_id)
    # when CreateRecords runs, and runs again (a crash-and-rerun)
    first, second = created(order_id), created(order_id)
    # then one SSR: 5 kW solar, PENDING; one pending solar installation request for John Doe; three warranties
    assert first["reused"] is False
    assert second == {**first, "reused": True, "confirmation": None}  # a re-run reads the stored set for the email
    # and what it hands on for the email: the SSR, the request's id and status, the warranties; nothing personal
    shown = first["confirmation"]
    assert shown["ssr"]["ssr_id"] == first["ssr_id"]
    assert shown["installation_request"] == {"id": first["installation_request_id"], "status": "pending"}
    assert len(shown["warranties"]) == 3
    assert not any(personal in json.dumps(shown) for personal in ("John", "Doe", "263771234567", "Main Rd"))
    (ssr,) = stack.installation_items(order_id, "ssr")
    assert (ssr["ssr_id"], ssr["status"], float(ssr["system_size_kw"]), ssr["system_type"]) == (
        first["ssr_id"],
        "PENDING",
        5.0,
        "solar",
    )
    (request,) = stack.installation_items(order_id, "installation_request")
    assert request["installation_request_id"] == first["installation_request_id"]
    assert (request["status"], request["installation_type"], request["customer_name"], request["phone"]) == (
        "pending",
        "solar",
        "John Doe",
        "+263771234567",
    )
    assert request["address"]["city"] == "Harare"
    durations = {w["product_id"]: int(w["duration_days"]) for w in stack.installation_items(order_id, "warranty")}
    assert durations == {INVERTER: 730, BATTERY: 365, "PANEL-550W": 365}
    assert len(stack.installation_items(order_id, "order_guard")) == 1


def test_create_records_re_run_after_the_order_changed_reuses_the_records_it_made(
    stack: SsrStack, order_id: str
) -> None:
    # given the records of a paid order, and then a line the catalog does not know added to the order
    put_order(order_id)
    first = created(order_id)
    put_order(order_id, [*complete_system(), {"product_id": "NOT-IN-CATALOG", "quantity": 1}])
    # when CreateRecords runs again (a redrive), and the order can no longer be planned
    again = created(order_id)
    # then the guard's records are reused, and no second record set exists
    assert again == {**first, "reused": True, "confirmation": None}
    assert len(stack.installation_items(order_id, "ssr")) == 1


def test_an_order_with_a_hybrid_inverter_gets_a_hybrid_ssr(stack: SsrStack, order_id: str) -> None:
    put_order(order_id, complete_system(HYBRID_INVERTER))
    assert created(order_id)["system_type"] == "hybrid"
    (request,) = stack.installation_items(order_id, "installation_request")
    assert request["installation_type"] == "hybrid"


def test_each_serial_number_of_a_line_gets_its_own_warranty_and_other_lines_none(
    stack: SsrStack, order_id: str
) -> None:
    # given batteries with two serials, and a cable (not solar)
    lines = complete_system()
    lines[1]["serial_numbers"] = ["BAT-SN-1", "BAT-SN-2"]
    put_order(order_id, [*lines, {"product_id": CABLE, "quantity": 3}])
    # when the records are created
    suffix = created(order_id)["ssr_id"].removeprefix("ISR-")
    # then the battery line has two warranties, one per serial; the cable none
    warranties = sorted(stack.installation_items(order_id, "warranty"), key=lambda w: w["warranty_id"])
    assert [(w["warranty_id"], w.get("serial_number")) for w in warranties] == [
        (f"WTY-{suffix}-01", None),
        (f"WTY-{suffix}-02-001", "BAT-SN-1"),
        (f"WTY-{suffix}-02-002", "BAT-SN-2"),
        (f"WTY-{suffix}-03", None),
    ]


def test_two_concurrent_create_steps_for_one_order_leave_one_ssr(stack: SsrStack, order_id: str) -> None:
    # given a paid order and two attempts that both reach their transaction before either commits
    put_order(order_id)
    both_ready = threading.Barrier(2, timeout=5)
    connection = transactions.connection().client

    def wait_for_the_other(**_: Any) -> None:
        both_ready.wait()

    connection.meta.events.register("before-call.dynamodb.TransactWriteItems", wait_for_the_other, unique_id="race")
    results: list[dict[str, Any]] = []
    try:
        threads = [threading.Thread(target=lambda: results.append(created(order_id))) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        connection.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="race")
    # then both report the same SSR, one of them as reused, and one record set exists
    assert len(results) == 2
    assert results[0]["ssr_id"] == results[1]["ssr_id"]
    assert sorted(result["reused"] for result in results) == [False, True]
    assert len(stack.installation_items(order_id, "ssr")) == 1
    assert len(stack.installation_items(order_id, "installation_request")) == 1
    assert len(stack.installation_items(order_id, "warranty")) == 3


# ---------------------------------------------------------------- GrantPortalAccess


def test_portal_access_creates_one_user_and_never_exposes_a_password(
    stack: SsrStack, order_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given the records of a paid order of a customer new to the portal
    put_order(order_id, whatsapp_id="263770000001")
    ssr_id = created(order_id)["ssr_id"]
    # when GrantPortalAccess runs twice
    first = step("grant_portal_access", order_id, ssr_id=ssr_id)
    second = step("grant_portal_access", order_id, ssr_id=ssr_id)
    # then one suppressed-invitation user named by the WhatsApp id, with name, phone and email, reused after
    assert (first, second) == ({"portal_user": "created"}, {"portal_user": "existing"})
    (user,) = stack.portal_users("263770000001")
    attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert (attributes["name"], attributes["phone_number"], attributes["email"]) == (
        "John Doe",
        "+263771234567",
        "john@example.com",
    )
    # and no log line carries the password, the email, the phone or the username made of it
    logs = logged(caplog.records)
    assert "portal user created" in logs
    assert "Password" not in logs
    assert "john@example.com" not in logs
    assert "263771234567" not in logs
    assert "263770000001" not in logs


def test_throttled_cognito_fails_the_step_as_retryable_and_the_retry_creates_the_user(
    stack: SsrStack, order_id: str
) -> None:
    put_order(order_id, whatsapp_id="263770000002")
    ssr_id = created(order_id)["ssr_id"]
    with throttled(aws_clients.client("cognito-idp"), "AdminCreateUser", times=1) as attempts:
        with pytest.raises(UpstreamUnavailable):
            step("grant_portal_access", order_id, ssr_id=ssr_id)
        assert step("grant_portal_access", order_id, ssr_id=ssr_id) == {"portal_user": "created"}
    assert attempts == [2]
    assert len(stack.portal_users("263770000002")) == 1


# ---------------------------------------------------------------- SendConfirmation


def test_the_confirmation_is_sent_once_with_the_exact_subject_and_no_secrets(stack: SsrStack, order_id: str) -> None:
    # given the records of a paid order
    put_order(order_id)
    records = created(order_id)
    ssr_id = records["ssr_id"]
    # when SendConfirmation runs twice, with what CreateRecords handed on
    first = step("send_confirmation", order_id, **loaded(order_id), ssr_id=ssr_id, confirmation=records["confirmation"])
    second = step(
        "send_confirmation", order_id, **loaded(order_id), ssr_id=ssr_id, confirmation=records["confirmation"]
    )
    # then one email from the sender to John, subject "Order Confirmation - <number>", naming the SSR and the login
    assert (first, second) == ({"email": "sent"}, {"email": "already_sent"})
    (email,) = stack.sent_emails(order_id)
    assert email.subject == f"Order Confirmation - {order_id}"
    assert email.source == "noreply@example.com"
    assert email.destinations["ToAddresses"] == ["john@example.com"]
    for expected in (ssr_id, order_id, "5 kW", "730 days", "365 days", "https://portal.example.com", "263771234567"):
        assert expected in email.body
    assert "temporary password" not in email.body.lower()


def test_a_throttled_send_releases_its_claim_so_the_retry_sends_exactly_one_email(
    stack: SsrStack, order_id: str
) -> None:
    put_order(order_id)
    # (records an earlier attempt made: CreateRecords hands on nothing for the email, which reads the stored set)
    state = {**loaded(order_id), "ssr_id": created(order_id)["ssr_id"], "confirmation": None}
    with throttled(aws_clients.client("sesv2"), "SendEmail", times=2) as attempts:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable):
                step("send_confirmation", order_id, **state)
        assert step("send_confirmation", order_id, **state) == {"email": "sent"}
        assert step("send_confirmation", order_id, **state) == {"email": "already_sent"}
    assert attempts == [3]
    (email,) = stack.sent_emails(order_id)
    assert state["ssr_id"] in email.body
    assert "730 days" in email.body


def test_an_order_without_an_email_address_gets_no_confirmation(stack: SsrStack, order_id: str) -> None:
    put_order(order_id, email=None)
    state = {**loaded(order_id), "ssr_id": created(order_id)["ssr_id"]}
    assert step("send_confirmation", order_id, **state) == {"email": "no_address"}
    assert stack.sent_emails(order_id) == []


# ---------------------------------------------------------------- NotifyStaff, QueueOpenSolarSync


def test_staff_are_told_once_with_the_branch_attribute_and_the_first_name_only(stack: SsrStack, order_id: str) -> None:
    put_order(order_id)
    records_created = created(order_id)
    ssr_id = records_created["ssr_id"]
    step("notify_staff", order_id, **loaded(order_id), **records_created)
    step("notify_staff", order_id, **loaded(order_id), **records_created)
    (notice,) = stack.staff_notices(order_id)
    assert notice["attributes"]["branch"] == {"Type": "String", "Value": "harare"}
    for expected in (ssr_id, order_id, "John"):
        assert expected in notice["message"]
    for personal in ("Doe", "+263", "263771234567", "john@example.com"):
        assert personal not in notice["message"]
        assert personal not in notice["subject"]


def test_the_opensolar_sync_is_queued_once(stack: SsrStack, order_id: str) -> None:
    put_order(order_id)
    records_created = created(order_id)
    ssr_id = records_created["ssr_id"]
    assert step("queue_sync", order_id, **records_created) == {"sync": "queued"}
    assert step("queue_sync", order_id, **records_created) == {"sync": "already_queued"}
    assert stack.sync_messages(order_id) == [
        {
            "installation_request_id": records_created["installation_request_id"],
            "ssr_id": ssr_id,
            "order_id": order_id,
            "reason": "created",
            "force": False,
        }
    ]


def test_nothing_is_queued_when_the_integration_config_turns_auto_sync_off(stack: SsrStack, order_id: str) -> None:
    # given the OpenSolar config with auto-sync off
    save_config(IntegrationConfig(auto_sync_enabled=False), updated_by="test")
    put_order(order_id)
    try:
        # when QueueOpenSolarSync runs
        result = step("queue_sync", order_id, **created(order_id))
    finally:
        save_config(IntegrationConfig(), updated_by="test")
    # then nothing is queued
    assert result == {"sync": "disabled"}
    assert stack.sync_messages(order_id) == []


# ---------------------------------------------------------------- RecordOutcome, MarkFailed, dispatch


def test_record_outcome_marks_created_and_a_later_failure_cannot_regress_it(stack: SsrStack, order_id: str) -> None:
    put_order(order_id)
    ssr_id = created(order_id)["ssr_id"]
    step("record_outcome", order_id, ssr_id=ssr_id)
    step("mark_failed", order_id)
    (state,) = stack.installation_items(order_id, "automation")
    assert (state["state"], state["ssr_id"]) == ("created", ssr_id)


def test_mark_failed_records_the_error_name_and_the_lambda_error_message(stack: SsrStack, order_id: str) -> None:
    step("mark_failed", order_id)
    (state,) = stack.installation_items(order_id, "automation")
    assert state["state"] == "failed"
    assert state["reason"] == "UpstreamRejected: SES refused the request (MessageRejected)."
    assert [entry["action"] for entry in stack.installation_items(order_id, "audit")] == ["automation_failed"]


def test_an_unknown_step_is_refused_as_invalid_input(stack: SsrStack, order_id: str) -> None:
    with pytest.raises(InvalidInput):
        invoke("ssr_workflow", {"step": "delete_everything", "order_id": order_id})
