"""The catalog API end to end: realistic HTTP API events through the handler, tables from the template on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.runtime.function_code import load_function
from local.scenarios.sample_catalog import (
    BATTERY,
    COMPATIBLE_BATTERY,
    COMPLETE_SYSTEM,
    INVERTER,
    INVERTER_WARRANTY,
    PANEL,
    PRODUCTS,
    TOO_SMALL_BATTERY,
)
from tests.support.aws import moto_tables
from tests.support.http_events import Answer, http_event, invoke

catalog_api = load_function("catalog_api")


def call(method: str, route: str, path_parameters: dict[str, str] | None = None, **kwargs: Any) -> Answer:
    return invoke(catalog_api.handler, http_event(method, route, path_parameters, **kwargs))


def put_product(product_id: str, body: dict[str, Any]) -> Answer:
    return call("PUT", "/products/{id}", {"id": product_id}, body=body)


@pytest.fixture
def tables() -> Iterator[None]:
    with moto_tables():
        yield


@pytest.fixture
def catalog(tables: None) -> dict[str, str]:
    """The realistic catalog, written through the API by staff; returns the rules' ids by name."""
    for body in PRODUCTS:
        assert put_product(body["sku"], body).status == 201
    assert call("PUT", "/packages/{id}", {"id": "PKG-5KW"}, body=COMPLETE_SYSTEM).status == 201
    compatible = call("POST", "/products/compatibility/rules", body=COMPATIBLE_BATTERY)
    incompatible = call("POST", "/products/compatibility/rules", body=TOO_SMALL_BATTERY)
    assert call("POST", "/warranty-rules", body=INVERTER_WARRANTY).status == 201
    return {"compatible": compatible.body["rule_id"], "incompatible": incompatible.body["rule_id"]}


# ---------------------------------------------------------------- products and packages


def test_a_new_product_is_created_with_201_and_read_back(tables: None) -> None:
    created = put_product("INV-5KW", INVERTER)

    read = call("GET", "/products/{id}", {"id": "INV-5KW"})

    assert created.status == 201
    assert read.status == 200
    assert read.body == created.body
    assert read.body["id"] == "INV-5KW"
    assert read.body["specs"]["max_pv_input_kw"] == 6.5
    assert read.body["specs"]["hybrid"] is True


def test_replacing_a_product_answers_200_and_keeps_its_created_at(catalog: dict[str, str]) -> None:
    before = call("GET", "/products/{id}", {"id": "BAT-5KWH"}).body

    replaced = put_product("BAT-5KWH", {**BATTERY, "name": "5 kWh LiFePO4 Battery"})

    assert replaced.status == 200
    assert replaced.body["name"] == "5 kWh LiFePO4 Battery"
    assert replaced.body["created_at"] == before["created_at"]
    assert replaced.body["updated_at"] >= before["updated_at"]


def test_unknown_spec_keys_are_kept_for_display(tables: None) -> None:
    put_product("INV-5KW", {**INVERTER, "specs": {**INVERTER["specs"], "mppt_trackers": 2}})

    read = call("GET", "/products/{id}", {"id": "INV-5KW"})

    assert read.body["specs"]["mppt_trackers"] == 2


def test_an_unknown_product_is_404(tables: None) -> None:
    answer = call("GET", "/products/{id}", {"id": "NOPE-1"})

    assert answer.status == 404
    assert answer.body == {"error": "not_found", "message": "Product NOPE-1 does not exist."}


def test_the_package_is_stored_and_read_back(catalog: dict[str, str]) -> None:
    answer = call("GET", "/packages/{id}", {"id": "PKG-5KW"})

    assert answer.status == 200
    assert answer.body["name"] == "5kW Complete System"
    assert answer.body["system_size_kw"] == 5.0
    assert answer.body["items"] == COMPLETE_SYSTEM["items"]


def test_replacing_a_package_answers_200(catalog: dict[str, str]) -> None:
    answer = call("PUT", "/packages/{id}", {"id": "PKG-5KW"}, body={**COMPLETE_SYSTEM, "system_size_kw": 4.5})

    assert answer.status == 200
    assert answer.body["system_size_kw"] == 4.5


def test_a_package_naming_an_unknown_product_is_404(catalog: dict[str, str]) -> None:
    body = {**COMPLETE_SYSTEM, "items": [*COMPLETE_SYSTEM["items"], {"product_id": "MOUNT-9", "quantity": 2}]}

    answer = call("PUT", "/packages/{id}", {"id": "PKG-X"}, body=body)

    assert answer.status == 404
    assert answer.body["details"] == [{"product_id": "MOUNT-9"}]


def test_an_unknown_package_is_404(tables: None) -> None:
    assert call("GET", "/packages/{id}", {"id": "PKG-NONE"}).status == 404


# ---------------------------------------------------------------- compatibility rules


def test_a_rule_is_created_with_201_and_listed_for_either_product(catalog: dict[str, str]) -> None:
    by_battery = call("GET", "/products/compatibility/rules", query={"product_id": "BAT-1KWH"})
    by_inverter = call("GET", "/products/compatibility/rules", query={"product_id": "INV-5KW"})
    everything = call("GET", "/products/compatibility/rules")

    assert [rule["rule_id"] for rule in by_battery.body["items"]] == [catalog["incompatible"]]
    assert {rule["rule_id"] for rule in by_inverter.body["items"]} == set(catalog.values())
    assert {rule["rule_id"] for rule in everything.body["items"]} == set(catalog.values())
    assert by_battery.body["items"][0]["reason"] == "Battery too small for inverter"


def test_the_same_rule_stored_the_other_way_round_is_a_409(catalog: dict[str, str]) -> None:
    mirrored = {**COMPATIBLE_BATTERY, "product_a_id": "BAT-5KWH", "product_b_id": "INV-5KW"}

    answer = call("POST", "/products/compatibility/rules", body=mirrored)

    assert answer.status == 409
    assert answer.body["error"] == "conflict"


def test_requires_in_both_directions_are_two_rules(catalog: dict[str, str]) -> None:
    forwards = {"product_a_id": "INV-5KW", "product_b_id": "PANEL-550W", "rule_type": "REQUIRES"}
    backwards = {"product_a_id": "PANEL-550W", "product_b_id": "INV-5KW", "rule_type": "REQUIRES"}

    assert call("POST", "/products/compatibility/rules", body=forwards).status == 201
    assert call("POST", "/products/compatibility/rules", body=backwards).status == 201


def test_a_rule_between_a_product_and_itself_is_422(catalog: dict[str, str]) -> None:
    body = {**COMPATIBLE_BATTERY, "product_b_id": "INV-5KW"}

    answer = call("POST", "/products/compatibility/rules", body=body)

    assert answer.status == 422
    assert answer.body["error"] == "unprocessable"


def test_a_rule_naming_unknown_products_is_404(catalog: dict[str, str]) -> None:
    body = {**COMPATIBLE_BATTERY, "product_b_id": "BAT-GHOST"}

    answer = call("POST", "/products/compatibility/rules", body=body)

    assert answer.status == 404
    assert "BAT-GHOST" in answer.body["message"]


def test_deleting_a_rule_answers_204_with_no_body_and_a_second_delete_is_404(catalog: dict[str, str]) -> None:
    route = "/products/compatibility/rules/{rule_id}"

    first = call("DELETE", route, {"rule_id": catalog["incompatible"]})
    second = call("DELETE", route, {"rule_id": catalog["incompatible"]})

    assert first.status == 204
    assert first.body is None
    assert second.status == 404
    remaining = call("GET", "/products/compatibility/rules").body["items"]
    assert [rule["rule_id"] for rule in remaining] == [catalog["compatible"]]


# ---------------------------------------------------------------- warranty rules


def test_warranty_rules_are_created_and_listed(catalog: dict[str, str]) -> None:
    product_rule = call(
        "POST", "/warranty-rules", body={"product_id": "BAT-5KWH", "duration_days": 3650, "priority": 5}
    )

    listed = call("GET", "/warranty-rules").body["items"]

    assert product_rule.status == 201
    assert [(r["category"], r["product_id"], r["duration_days"]) for r in listed] == [
        ("inverter", None, 730),
        (None, "BAT-5KWH", 3650),
    ]


def test_a_warranty_rule_without_product_or_category_is_400(tables: None) -> None:
    answer = call("POST", "/warranty-rules", body={"duration_days": 365, "priority": 0})

    assert answer.status == 400
    assert answer.body["error"] == "invalid_input"


def test_a_warranty_rule_for_an_unknown_product_is_404(tables: None) -> None:
    answer = call("POST", "/warranty-rules", body={"product_id": "INV-GHOST", "duration_days": 365, "priority": 0})

    assert answer.status == 404


# ---------------------------------------------------------------- the two checks


def test_checking_a_compatible_pair_answers_both_products_and_the_verdict(catalog: dict[str, str]) -> None:
    answer = call(
        "POST", "/products/compatibility/check-products/", body={"product_a_id": "BAT-5KWH", "product_b_id": "INV-5KW"}
    )

    assert answer.status == 200
    assert answer.body["product_a"] == {"id": "BAT-5KWH", "name": "5 kWh Lithium Battery", "sku": "BAT-5KWH"}
    assert answer.body["product_b"] == {"id": "INV-5KW", "name": "5 kW Hybrid Inverter", "sku": "INV-5KW"}
    assert answer.body["compatible"] is True
    assert answer.body["has_rule"] is True
    assert answer.body["warning"] is False


def test_checking_an_incompatible_pair_gives_the_rules_reason(catalog: dict[str, str]) -> None:
    answer = call(
        "POST", "/products/compatibility/check-products", body={"product_a_id": "INV-5KW", "product_b_id": "BAT-1KWH"}
    )

    assert answer.body["compatible"] is False
    assert answer.body["reason"] == "Battery too small for inverter"


def test_checking_a_pair_without_a_rule_warns(catalog: dict[str, str]) -> None:
    answer = call(
        "POST", "/products/compatibility/check-products", body={"product_a_id": "INV-5KW", "product_b_id": "PANEL-550W"}
    )

    assert answer.body["compatible"] is True
    assert answer.body["has_rule"] is False
    assert answer.body["warning"] is True


def test_checking_an_unknown_product_is_404(catalog: dict[str, str]) -> None:
    answer = call(
        "POST", "/products/compatibility/check-products", body={"product_a_id": "INV-5KW", "product_b_id": "NOPE"}
    )

    assert answer.status == 404


def test_the_complete_system_validates_with_the_contracts_shape(catalog: dict[str, str]) -> None:
    answer = call("POST", "/products/compatibility/validate-package/", body={"package_id": "PKG-5KW"})

    assert answer.status == 200
    assert answer.body["package"] == {"id": "PKG-5KW", "name": "5kW Complete System", "system_size": 5.0}
    assert answer.body["overall_valid"] is True
    assert answer.body["compatibility"]["valid"] is True
    assert answer.body["compatibility"]["errors"] == []
    assert len(answer.body["compatibility"]["compatibility_checks"]) == 3
    assert answer.body["system_size"] == {"valid": True, "errors": [], "warnings": []}


def test_a_package_with_batteries_but_no_inverter_is_reported_invalid_with_200(catalog: dict[str, str]) -> None:
    body = {"name": "Battery add-on", "system_size_kw": None, "items": [{"product_id": "BAT-5KWH", "quantity": 2}]}
    call("PUT", "/packages/{id}", {"id": "PKG-BATT"}, body=body)

    answer = call("POST", "/products/compatibility/validate-package", body={"package_id": "PKG-BATT"})

    assert answer.status == 200
    assert answer.body["overall_valid"] is False
    assert "have no inverter" in answer.body["compatibility"]["errors"][0]


def test_a_package_with_products_missing_specs_warns_that_it_cannot_check(catalog: dict[str, str]) -> None:
    put_product("INV-OLD", {"sku": "INV-OLD", "name": "Legacy Inverter", "category": "inverter"})
    body = {"name": "Legacy", "system_size_kw": 3.0, "items": [{"product_id": "INV-OLD", "quantity": 1}]}
    call("PUT", "/packages/{id}", {"id": "PKG-OLD"}, body=body)

    answer = call("POST", "/products/compatibility/validate-package", body={"package_id": "PKG-OLD"})

    assert answer.status == 200
    assert answer.body["system_size"]["valid"] is True
    assert answer.body["system_size"]["warnings"][0].startswith("Cannot check")


def test_an_incompatible_package_is_invalid_overall(catalog: dict[str, str]) -> None:
    body = {
        **COMPLETE_SYSTEM,
        "items": [{"product_id": "INV-5KW", "quantity": 1}, {"product_id": "BAT-1KWH", "quantity": 4}],
    }
    call("PUT", "/packages/{id}", {"id": "PKG-BAD"}, body=body)

    answer = call("POST", "/products/compatibility/validate-package", body={"package_id": "PKG-BAD"})

    assert answer.body["overall_valid"] is False
    assert "Battery too small for inverter" in answer.body["compatibility"]["errors"][0]


def test_validating_an_unknown_package_is_404(tables: None) -> None:
    answer = call("POST", "/products/compatibility/validate-package", body={"package_id": "PKG-NONE"})

    assert answer.status == 404


# ---------------------------------------------------------------- bad input and roles


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        pytest.param({"raw_body": '{"sku": "INV-5KW",'}, 400, "invalid_input", id="not JSON"),
        pytest.param(
            {"raw_body": "sku=INV-5KW", "content_type": "text/plain"}, 415, "unsupported_media_type", id="text"
        ),
        pytest.param(
            {"body": {**INVERTER, "specs": {"datasheet": "x" * 70_000}}}, 413, "payload_too_large", id="over 64 KB"
        ),
        pytest.param({"body": {**INVERTER, "category": "spaceship"}}, 400, "invalid_input", id="bad category"),
        pytest.param({"body": {"sku": "INV-5KW", "name": 5}}, 400, "invalid_input", id="missing and mistyped"),
    ],
)
def test_a_bad_product_body_gets_the_contracts_error(
    tables: None, kwargs: dict[str, Any], status: int, error: str
) -> None:
    answer = call("PUT", "/products/{id}", {"id": "INV-5KW"}, **kwargs)

    assert answer.status == status
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.body["error"] == error
    assert answer.body["message"]


def test_a_form_encoded_body_is_415_not_field_errors(tables: None) -> None:
    answer = call(
        "PUT",
        "/products/{id}",
        {"id": "INV-5KW"},
        raw_body="sku=INV-5KW",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status == 415
    assert answer.body["error"] == "unsupported_media_type"


def test_an_oversized_body_is_413_even_when_its_fields_are_invalid(tables: None) -> None:
    answer = call("PUT", "/products/{id}", {"id": "INV-5KW"}, body={"name": 5, "padding": "x" * 70_000})

    assert answer.status == 413


def test_a_non_staff_caller_is_refused_before_the_body_is_looked_at(tables: None) -> None:
    answer = call("PUT", "/products/{id}", {"id": "INV-5KW"}, raw_body="{not json", groups=("sales",))

    assert answer.status == 403
    assert answer.body["error"] == "forbidden"


def test_a_missing_or_mistyped_field_is_named(tables: None) -> None:
    answer = put_product("INV-5KW", {"sku": "INV-5KW", "name": 5})

    fields = {detail["field"] for detail in answer.body["details"]}
    assert {"name", "category"} <= fields


def test_a_negative_quantity_is_400_naming_the_line(catalog: dict[str, str]) -> None:
    body = {**COMPLETE_SYSTEM, "items": [{"product_id": "INV-5KW", "quantity": -1}]}

    answer = call("PUT", "/packages/{id}", {"id": "PKG-NEG"}, body=body)

    assert answer.status == 400
    assert answer.body["details"][0]["field"] == "items.0.quantity"


def test_a_numeric_id_in_a_body_is_taken_as_its_decimal_string(catalog: dict[str, str]) -> None:
    put_product("42", {**PANEL, "sku": "PANEL-42"})

    answer = call(
        "POST", "/products/compatibility/check-products", body={"product_a_id": 42, "product_b_id": "INV-5KW"}
    )

    assert answer.status == 200
    assert answer.body["product_a"]["id"] == "42"


ADMIN_CALLS = [
    pytest.param("PUT", "/products/{id}", {"id": "INV-5KW"}, INVERTER, id="put product"),
    pytest.param("PUT", "/packages/{id}", {"id": "PKG-5KW"}, COMPLETE_SYSTEM, id="put package"),
    pytest.param("POST", "/products/compatibility/rules", None, COMPATIBLE_BATTERY, id="create rule"),
    pytest.param("DELETE", "/products/compatibility/rules/{rule_id}", {"rule_id": "any"}, None, id="delete rule"),
    pytest.param("POST", "/warranty-rules", None, INVERTER_WARRANTY, id="create warranty rule"),
]


@pytest.mark.parametrize(("method", "route", "params", "body"), ADMIN_CALLS)
@pytest.mark.parametrize("groups", [("sales",), None], ids=["sales user", "machine client"])
def test_catalog_writes_need_the_staff_group(
    tables: None,
    method: str,
    route: str,
    params: dict[str, str] | None,
    body: Any,
    groups: tuple[str, ...] | None,
) -> None:
    answer = call(method, route, params, body=body, groups=groups)

    assert answer.status == 403
    assert answer.body["error"] == "forbidden"


@pytest.mark.parametrize(
    ("method", "route", "params", "body"),
    [
        pytest.param("GET", "/products/{id}", {"id": "INV-5KW"}, None, id="product"),
        pytest.param("GET", "/packages/{id}", {"id": "PKG-5KW"}, None, id="package"),
        pytest.param("GET", "/products/compatibility/rules", None, None, id="rules"),
        pytest.param("GET", "/warranty-rules", None, None, id="warranty rules"),
        pytest.param(
            "POST",
            "/products/compatibility/check-products",
            None,
            {"product_a_id": "INV-5KW", "product_b_id": "BAT-5KWH"},
            id="check products",
        ),
        pytest.param(
            "POST", "/products/compatibility/validate-package", None, {"package_id": "PKG-5KW"}, id="validate"
        ),
    ],
)
def test_reads_and_checks_need_only_a_signed_in_caller(
    catalog: dict[str, str], method: str, route: str, params: dict[str, str] | None, body: Any
) -> None:
    answer = call(method, route, params, body=body, groups=None)

    assert answer.status == 200


@pytest.mark.parametrize(
    ("method", "route", "params", "body"),
    [
        pytest.param("GET", "/products/{id}/", {"id": "INV-5KW"}, None, id="product"),
        pytest.param("PUT", "/packages/{id}/", {"id": "PKG-5KW"}, COMPLETE_SYSTEM, id="package"),
        pytest.param("GET", "/products/compatibility/rules/", None, None, id="rules"),
        pytest.param("GET", "/warranty-rules/", None, None, id="warranty rules"),
    ],
)
def test_every_route_answers_with_a_trailing_slash(
    catalog: dict[str, str], method: str, route: str, params: dict[str, str] | None, body: Any
) -> None:
    answer = call(method, route, params, body=body)

    assert answer.status == 200
