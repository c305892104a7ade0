"""The automation's pure pieces: ids, execution names, line classification, messages, masking and portal names."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from solar_core.automation.order_changes import became_won_and_paid, was_refunded
from solar_core.automation.outreach import messages, portal
from solar_core.automation.steps import failure_reason
from solar_core.catalog.models import Product
from solar_core.installations import ids, privacy, system
from solar_core.installations.models import CreatedRecords, EquipmentLine, ServiceSystemRecord, SystemType, Warranty
from solar_core.orders.models import Customer, Order

STAMP = "2026-11-25T10:00:00Z"


def product(product_id: str, category: str, **extra: Any) -> Product:
    return Product(
        id=product_id, sku=product_id, name=product_id, category=category, created_at=STAMP, updated_at=STAMP, **extra
    )


CATALOG = {
    "INV": product("INV", "inverter", specs={"rated_power_kw": 5}),
    "HYB": product("HYB", "inverter", specs={"rated_power_kw": 3, "hybrid": True}),
    "BAT": product("BAT", "battery"),
    "PNL": product("PNL", "solar_panel", specs={"power_w": 550}),
    "CBL": product("CBL", "cable"),
    "SVC": product("SVC", "service"),
    "CCS": product("CCS", "cable", is_solar=True),
}


def order(*lines: tuple[str, int]) -> Order:
    return Order.model_validate(
        {
            "order_id": "SO-1",
            "order_number": "SO-1",
            "stage": "closed_won",
            "payment_status": "paid",
            "updated_at": STAMP,
            "customer": {"customer_id": "C-1", "first_name": "John"},
            "items": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in lines],
        }
    )


def customer(**fields: Any) -> Customer:
    return Customer.model_validate({"customer_id": "C-1", "first_name": "John", "last_name": "Doe", **fields})


# ---------------------------------------------------------------- ids


def test_ssr_ids_are_isr_and_eight_hex_characters_and_the_records_share_the_suffix() -> None:
    ssr_id = ids.new_ssr_id()
    assert re.fullmatch(r"ISR-[0-9A-F]{8}", ssr_id)
    suffix = ssr_id.removeprefix("ISR-")
    assert ids.installation_request_id(ssr_id) == f"IR-{suffix}"
    assert ids.warranty_id(ssr_id, 3) == f"WTY-{suffix}-03"
    assert ids.warranty_id(ssr_id, 3, 12) == f"WTY-{suffix}-03-012"


@given(st.text(min_size=1, max_size=300), st.integers(min_value=1, max_value=10**6))
def test_an_execution_name_is_at_most_80_safe_characters_and_tells_its_attempt(order_id: str, attempt: int) -> None:
    name = ids.execution_name(order_id, attempt)
    assert len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert ids.execution_name(order_id, attempt) == name
    assert ids.attempt_of(name) == attempt
    assert (name == ids.execution_name(order_id)) == (attempt == 1)


def test_an_order_id_that_looks_like_a_re_run_name_is_still_a_first_run() -> None:
    looks_like = f"{ids.execution_name('SO-1', 2)}"
    assert ids.attempt_of(ids.execution_name(looks_like)) == 1
    assert ids.attempt_of(None) == 1


def test_order_ids_that_sanitise_alike_still_get_distinct_execution_names() -> None:
    names = {ids.execution_name(order_id) for order_id in ("SO/1", "SO 1", "SO-1", "SO#1", "x" * 200, "x" * 201)}
    assert len(names) == 6
    assert ids.execution_name("SO-1001").startswith("SO-1001-")


# ---------------------------------------------------------------- the solar system of an order


def test_solar_lines_are_inverters_batteries_panels_and_products_marked_solar_others_are_not() -> None:
    split = system.split_lines(order(("INV", 1), ("CBL", 2), ("BAT", 2), ("SVC", 1), ("CCS", 1)), CATALOG)
    assert [(n, line.product_id) for n, line in split.solar] == [(1, "INV"), (3, "BAT"), (5, "CCS")]
    assert [(n, line.product_id) for n, line in split.other] == [(2, "CBL"), (4, "SVC")]


def test_an_unknown_product_counts_as_solar_so_validation_flags_it() -> None:
    split = system.split_lines(order(("NOPE", 1), ("CBL", 1)), CATALOG)
    assert split.unknown_product_ids == ["NOPE"]
    assert [line.product_id for _, line in split.solar] == ["NOPE"]


def test_the_size_is_the_inverters_rated_power_else_the_pv_array_and_the_type_hybrid_only_with_a_hybrid_inverter() -> (
    None
):
    plain = system.split_lines(order(("INV", 2), ("PNL", 10)), CATALOG).solar
    mixed = system.split_lines(order(("INV", 1), ("HYB", 1)), CATALOG).solar
    panels_only = system.split_lines(order(("PNL", 10)), CATALOG).solar
    assert (system.system_size_kw(plain, CATALOG), system.system_type(plain, CATALOG)) == (10.0, SystemType.SOLAR)
    assert (system.system_size_kw(mixed, CATALOG), system.system_type(mixed, CATALOG)) == (8.0, SystemType.HYBRID)
    assert system.system_size_kw(panels_only, CATALOG) == 5.5
    assert system.system_size_kw(system.split_lines(order(("BAT", 1)), CATALOG).solar, CATALOG) is None


def test_validation_items_and_equipment_sum_repeated_products() -> None:
    solar = system.split_lines(order(("PNL", 4), ("INV", 1), ("PNL", 6)), CATALOG).solar
    assert [(i.product_id, i.quantity) for i in system.validation_items(solar)] == [("PNL", 10), ("INV", 1)]
    assert [(e.product_id, e.quantity) for e in system.equipment(solar, CATALOG)] == [("PNL", 10), ("INV", 1)]


# ---------------------------------------------------------------- the stream handler's own guard


def test_only_a_transition_into_won_and_paid_starts_the_automation() -> None:
    paid = {"stage": "closed_won", "payment_status": "paid"}
    assert became_won_and_paid(paid, {})
    assert became_won_and_paid(paid, {"stage": "closed_won", "payment_status": "pending"})
    assert became_won_and_paid(paid, {"stage": "negotiation", "payment_status": "paid"})
    assert not became_won_and_paid(paid, paid)
    assert not became_won_and_paid({"stage": "closed_won", "payment_status": "pending"}, {})
    assert not became_won_and_paid({"stage": "lead", "payment_status": "paid"}, {})
    assert not became_won_and_paid({}, paid)


def test_a_refund_is_a_move_from_paid_to_refunded() -> None:
    assert was_refunded({"payment_status": "refunded"}, {"payment_status": "paid"})
    assert not was_refunded({"payment_status": "refunded"}, {"payment_status": "pending"})
    assert not was_refunded({"payment_status": "refunded"}, {"payment_status": "refunded"})


# ---------------------------------------------------------------- portal user and privacy


def test_the_portal_username_is_the_whatsapp_id_then_the_phone_digits_then_the_customer_id() -> None:
    assert portal.portal_username(customer(whatsapp_id="263771234567", phone="+263 77 000 0000")) == "263771234567"
    assert portal.portal_username(customer(phone="+263 77-123-4567")) == "263771234567"
    assert portal.portal_username(customer()) == "customer-C-1"


def test_only_plausible_e164_numbers_reach_cognito() -> None:
    assert portal.e164("+263 77 123 4567") == "+263771234567"
    assert portal.e164("263771234567") == "+263771234567"
    assert portal.e164("0771234567") is None
    assert portal.e164("") is None


def test_temporary_passwords_meet_the_customer_pool_policy_and_differ() -> None:
    passwords = {portal.temporary_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert len(password) >= 10
        assert re.search("[a-z]", password)
        assert re.search("[A-Z]", password)
        assert re.search("[0-9]", password)


def test_masked_emails_and_phones_keep_only_enough_to_tell_them_apart() -> None:
    assert privacy.mask_email("john@example.com") == "j***@example.com"
    assert privacy.mask_phone("+263771234567") == "***567"
    assert privacy.mask_email(None) == privacy.mask_phone("12") == "***"


# ---------------------------------------------------------------- messages


SSR = ServiceSystemRecord.model_validate(
    {
        "ssr_id": "ISR-0A1B2C3D",
        "order_id": "SO-1",
        "status": "PENDING",
        "system_size_kw": 5.0,
        "system_type": "hybrid",
        "created_at": STAMP,
        "installation_request_id": "IR-0A1B2C3D",
        "equipment": [EquipmentLine(product_id="INV", name="Inverter <5kW>", category="inverter", quantity=1)],
    }
)
WARRANTY = Warranty(
    warranty_id="W",
    product_id="BAT",
    product_name="Battery",
    serial_number="SN-9",
    quantity=1,
    start_date="2026-11-25",
    end_date="2027-11-25",
    duration_days=365,
)


def test_the_confirmation_has_the_exact_subject_and_names_the_ssr_system_warranties_and_portal_login() -> None:
    email = messages.confirmation_email(
        first_name="John",
        order_number="SO-1001",
        ssr=SSR,
        installation_request=None,
        warranties=[WARRANTY],
        portal_url="https://portal.example.com",
        portal_username="263771234567",
    )
    assert email.subject == "Order Confirmation - SO-1001"
    for body in (email.text, email.html):
        for expected in (
            "ISR-0A1B2C3D",
            "SO-1001",
            "Hybrid",
            "5 kW",
            "365 days",
            "SN-9",
            "https://portal.example.com",
            "263771234567",
        ):
            assert expected in body
        assert "password:" not in body.lower()
    assert "Inverter &lt;5kW&gt;" in email.html


def test_staff_notices_have_one_line_ascii_subjects_and_no_contact_details() -> None:
    records = CreatedRecords(
        ssr_id="ISR-0A1B2C3D", installation_request_id="IR-0A1B2C3D", system_type="hybrid", system_size_kw=5.0
    )
    notice = messages.ssr_created_notice(order_number="SO-\u00e9" + "9" * 120, first_name="John", records=records)
    assert len(notice.subject) <= 100
    assert notice.subject.isascii()
    assert "\n" not in notice.subject
    flagged = messages.order_flagged_notice(order_number="SO-1", first_name="John", reasons=["Battery too small"])
    assert "Battery too small" in flagged.message
    for text in (notice.message, flagged.message):
        assert "+263" not in text
        assert "@" not in text


def test_a_failure_reason_is_the_error_and_the_lambda_error_message() -> None:
    cause = '{"errorType": "UpstreamRejected", "errorMessage": "SES refused the request (MessageRejected)."}'
    assert failure_reason("UpstreamRejected", cause) == "UpstreamRejected: SES refused the request (MessageRejected)."
    assert failure_reason("States.Timeout", "") == "States.Timeout"
    assert failure_reason("States.Runtime", "not json") == "States.Runtime: not json"
