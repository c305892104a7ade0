"""Edge cases the schema tests (tests/e2e/test_api_schema.py) found, pinned as HTTP API events through the handlers."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from local.aws.template import load_template, resources_of_type
from local.runtime.function_code import load_function
from local.tools.openapi import openapi_document
from tests.support.aws import moto_tables
from tests.support.http_events import Answer, http_event, invoke

catalog_api = load_function("catalog_api")

PANEL = {"sku": "PANEL-550W", "name": "550 W Mono Panel", "category": "solar_panel", "specs": {"power_w": 550}}
ORDER = {
    "order_number": "SO-2001",
    "stage": "lead",
    "payment_status": "pending",
    "customer": {"customer_id": "C-1", "first_name": "John", "last_name": "Doe", "address": {"city": "Harare"}},
    "items": [{"product_id": "PANEL-550W", "quantity": 2, "unit_price": "120.00"}],
    "updated_at": "2026-11-25T10:00:00Z",
}


def call(method: str, route: str, path_parameters: dict[str, str] | None = None, **kwargs: Any) -> Answer:
    return invoke(catalog_api.handler, http_event(method, route, path_parameters, **kwargs))


def put_product(product_id: str, body: dict[str, Any]) -> Answer:
    return call("PUT", "/products/{id}", {"id": product_id}, body=body)


def refused_fields(answer: Answer) -> list[str]:
    assert answer.status == 400, answer.body
    assert answer.body["error"] == "invalid_input"
    return [detail["field"] for detail in answer.body["details"]]


def request_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = openapi_document()["components"]["schemas"][name]
    return schema


@pytest.fixture
def tables() -> Iterator[None]:
    with moto_tables():
        yield


# ---------------------------------------------------------------- bodies that are not JSON


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_json_cannot_hold_are_refused_before_they_are_stored(tables: None, number: str) -> None:
    # given a product whose power is a number JSON has no value for (Python's parser reads all four)
    raw = json.dumps(PANEL).replace("550}", f"{number}}}")

    answer = call("PUT", "/products/{id}", {"id": "PANEL-550W"}, raw_body=raw)

    # then it is a 400, not a stored Infinity that the answer could only echo as invalid JSON
    assert answer.status == 400
    assert answer.body["error"] == "invalid_input"
    assert call("GET", "/products/{id}", {"id": "PANEL-550W"}).status == 404


def test_a_body_that_is_not_utf8_text_is_a_400_not_a_500(tables: None) -> None:
    # given bytes that are not UTF-8, which API Gateway passes base64-encoded
    event = http_event("POST", "/products/compatibility/check-products", raw_body="x")
    event["body"] = base64.b64encode(b"^\xff\xfel").decode()
    event["isBase64Encoded"] = True

    answer = invoke(catalog_api.handler, event)

    assert answer.status == 400
    assert answer.body["error"] == "invalid_input"


# ---------------------------------------------------------------- numbers are JSON numbers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PANEL, "warranty_days": False}, "warranty_days"),
        ({**PANEL, "specs": {"power_w": "550"}}, "specs.power_w"),
        ({**PANEL, "specs": {"power_w": True}}, "specs.power_w"),
        ({**PANEL, "specs": {"hybrid": 1}}, "specs.hybrid"),
        ({**PANEL, "is_solar": "yes"}, "is_solar"),
    ],
)
def test_a_boolean_or_a_string_is_not_read_as_a_number_or_a_boolean(
    tables: None, body: dict[str, Any], field: str
) -> None:
    assert refused_fields(put_product("PANEL-550W", body)) == [field]


def test_a_package_quantity_of_true_is_not_one(tables: None) -> None:
    put_product("PANEL-550W", PANEL)
    package = {"name": "Panels", "items": [{"product_id": "PANEL-550W", "quantity": True}]}

    answer = call("PUT", "/packages/{id}", {"id": "PKG-1"}, body=package)

    assert refused_fields(answer) == ["items.0.quantity"]


def test_a_warranty_rule_priority_sent_as_a_string_is_refused(tables: None) -> None:
    rule = {"category": "inverter", "duration_days": 730, "priority": "10"}

    assert refused_fields(call("POST", "/warranty-rules", body=rule)) == ["priority"]


# ---------------------------------------------------------------- specs DynamoDB can store


@pytest.mark.parametrize("value", [10**40, 1e39, -1e39, [1, {"deep": 10**40}]])
def test_a_spec_number_dynamodb_cannot_store_is_a_400_not_a_500(tables: None, value: Any) -> None:
    # given a display-only spec with a number beyond DynamoDB's 38 digits (moto's answer broke the handler: 500)
    body = {**PANEL, "specs": {"power_w": 550, "mppt_trackers": value}}

    assert refused_fields(put_product("PANEL-550W", body)) == ["specs.mppt_trackers"]


def test_a_spec_too_small_for_dynamodb_is_kept_as_zero(tables: None) -> None:
    body = {**PANEL, "specs": {"power_w": 1e-300, "tolerance": [5e-324, 0.5]}}

    answer = put_product("PANEL-550W", body)

    assert answer.status == 201
    assert answer.body["specs"]["power_w"] == 0.0
    assert answer.body["specs"]["tolerance"] == [0.0, 0.5]


def test_a_measure_above_the_documented_maximum_is_refused(tables: None) -> None:
    assert refused_fields(put_product("PANEL-550W", {**PANEL, "specs": {"power_w": 1e39}})) == ["specs.power_w"]


@pytest.mark.parametrize("specs", [{"": "blank"}, {"mounting": {"": 1}}])
def test_an_empty_spec_name_is_refused_instead_of_breaking_later_reads(tables: None, specs: dict[str, Any]) -> None:
    # given a spec without a name (moto stored it, then every read or replace of the product was a 500)
    answer = put_product("PANEL-550W", {**PANEL, "specs": specs})

    assert answer.status == 400
    assert call("GET", "/products/{id}", {"id": "PANEL-550W"}).status == 404


def test_unknown_specs_of_every_json_kind_are_still_kept(tables: None) -> None:
    specs = {"power_w": 550, "cells": 144, "bifacial": True, "frame": "aluminium", "dims_mm": [2278, 1134], "x": None}

    answer = put_product("PANEL-550W", {**PANEL, "specs": specs})

    assert answer.status == 201
    assert call("GET", "/products/{id}", {"id": "PANEL-550W"}).body["specs"] | specs == answer.body["specs"]


# ---------------------------------------------------------------- ids in paths and queries


def test_an_empty_product_filter_is_a_400_not_a_502(tables: None) -> None:
    # given `?product_id=` (DynamoDB refuses an empty key in the index query: it was a 502 upstream_rejected)
    answer = call("GET", "/products/compatibility/rules", query={"product_id": ""})

    assert refused_fields(answer) == ["query.product_id"]


@pytest.mark.parametrize(
    ("method", "route", "parameter"),
    [
        ("GET", "/products/{id}", "id"),
        ("GET", "/packages/{id}", "id"),
        ("GET", "/orders/{id}", "id"),
        ("DELETE", "/products/compatibility/rules/{rule_id}", "rule_id"),
    ],
)
def test_a_path_id_longer_than_any_stored_id_is_a_400(tables: None, method: str, route: str, parameter: str) -> None:
    # given an id of 3000 characters (past DynamoDB's 2048-byte key: a ValidationException, so a 502, on AWS)
    answer = call(method, route, {parameter: "X" * 3000})

    assert refused_fields(answer) == [f"path.{parameter}"]


def test_path_ids_are_the_ones_api_gateway_decoded(tables: None) -> None:
    # given a product id with non-ASCII letters, percent-encoded in the path as sent
    event = http_event("PUT", "/products/{id}", {"id": "ÉTÉ-1"}, body=PANEL)
    event["rawPath"] = "/dev/products/%C3%89T%C3%89-1"

    answer = invoke(catalog_api.handler, event)

    # then the product is stored under the id, not under its percent-encoding
    assert answer.status == 201
    assert answer.body["id"] == "ÉTÉ-1"
    assert call("GET", "/products/{id}", {"id": "ÉTÉ-1"}).status == 200


def test_every_route_names_its_path_parameters_as_the_template_does() -> None:
    # the handlers read path parameters by name from API Gateway's `pathParameters`
    template_routes = {
        (event["Properties"]["Method"].lower(), event["Properties"]["Path"])
        for function in resources_of_type(load_template(), "AWS::Serverless::Function").values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    documented = {(method, path) for path, item in openapi_document()["paths"].items() for method in item}

    assert documented <= template_routes


def test_an_integer_id_is_documented_as_accepted_and_read_as_its_decimal_string(tables: None) -> None:
    # given products whose ids are digits (contract.md: a JSON number given as an id is its decimal string)
    put_product("1001", PANEL)
    put_product("1002", {**PANEL, "sku": "PANEL-410W"})

    answer = call("POST", "/products/compatibility/check-products", body={"product_a_id": 1001, "product_b_id": 1002})

    assert answer.status == 200
    assert (answer.body["product_a"]["id"], answer.body["product_b"]["id"]) == ("1001", "1002")
    id_schema = request_schema("CheckProductsIn")["properties"]["product_a_id"]
    assert {"type": "integer"} in id_schema["anyOf"]


# ---------------------------------------------------------------- rules the document states


def test_a_warranty_rule_for_nothing_is_refused_and_the_document_says_so(tables: None) -> None:
    answer = call("POST", "/warranty-rules", body={"product_id": None, "category": None, "duration_days": 365})

    assert answer.status == 400
    covers = request_schema("WarrantyRuleIn")["anyOf"]
    assert {"required": ["category"], "properties": {"category": {"not": {"type": "null"}}}} in covers


# ---------------------------------------------------------------- order timestamps


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "", "next tuesday"])
def test_an_updated_at_without_a_utc_form_is_a_400_not_a_500(tables: None, moment: str) -> None:
    # given a timestamp whose UTC form falls before year 1 or after 9999 (it was an OverflowError: a 500)
    answer = call("PUT", "/orders/{id}", {"id": "SO-2001"}, body={**ORDER, "updated_at": moment})

    assert refused_fields(answer) == ["updated_at"]


def test_an_rfc3339_timestamp_in_lower_case_is_accepted_as_documented(tables: None) -> None:
    answer = call("PUT", "/orders/{id}", {"id": "SO-2001"}, body={**ORDER, "updated_at": "2026-11-25t12:00:00+02:00"})

    assert answer.status == 201
    assert answer.body["updated_at"] == "2026-11-25T10:00:00Z"
    assert request_schema("OrderIn")["properties"]["updated_at"]["anyOf"][0]["format"] == "date-time"


# ---------------------------------------------------------------- known bugs of solar_core/orders (not ours)


def test_an_order_with_a_boolean_longitude_is_refused(tables: None) -> None:
    customer = {**ORDER["customer"], "address": {"city": "Harare", "lon": False}}

    assert call("PUT", "/orders/{id}", {"id": "SO-2001"}, body={**ORDER, "customer": customer}).status == 400


def test_an_order_line_quantity_sent_as_a_string_is_refused(tables: None) -> None:
    items = [{"product_id": "PANEL-550W", "quantity": "2", "unit_price": "120.00"}]

    assert call("PUT", "/orders/{id}", {"id": "SO-2001"}, body={**ORDER, "items": items}).status == 400


def test_the_order_document_describes_money_as_a_decimal_string() -> None:
    # OrderLine refuses a float for `unit_price` ("1200.00" only), yet the document allows any number
    unit_price = request_schema("OrderLine-Input")["properties"]["unit_price"]

    assert "number" not in json.dumps(unit_price)


def test_an_email_with_a_control_character_is_refused_as_the_document_says() -> None:
    # JSON Schema's \s does not match U+0085 (NEL) and Python's does: the pattern spells the characters out instead
    pattern = request_schema("Customer-Input")["properties"]["email"]["anyOf"][0]["pattern"]

    assert re.fullmatch(pattern, "john@example.com")
    assert not re.fullmatch(pattern, "john\u0085@example.com")


def test_money_sent_as_a_json_number_or_in_exponent_form_is_refused(tables: None) -> None:
    for price in (1200.0, 1200, "1e3"):
        items = [{"product_id": "PANEL-550W", "quantity": 2, "unit_price": price}]

        assert call("PUT", "/orders/{id}", {"id": "SO-2001"}, body={**ORDER, "items": items}).status == 400
