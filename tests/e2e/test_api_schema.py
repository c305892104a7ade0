"""Property-based tests of the HTTP API against openapi.json (schemathesis), through the running local stack.

For every operation: no 5xx, answers with the documented status codes, content type and schema, and every 4xx in
the contract's error shape. Bodies that break the schema (negative and coverage cases) must be refused with a 4xx.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import settings

from local.aws.template import ROOT
from tests.e2e.conftest import Api

SEEDED_PRODUCTS = {
    "SCHEMA-INV-5KW": {
        "sku": "SCHEMA-INV-5KW",
        "name": "5 kW Hybrid Inverter",
        "category": "inverter",
        "specs": {"rated_power_kw": 5, "max_pv_input_kw": 6.5, "max_battery_kwh": 20, "nominal_voltage_v": 48},
    },
    "SCHEMA-BAT-5KWH": {
        "sku": "SCHEMA-BAT-5KWH",
        "name": "5 kWh Lithium Battery",
        "category": "battery",
        "specs": {"capacity_kwh": 5, "nominal_voltage_v": 48},
    },
    "SCHEMA-PANEL-550W": {
        "sku": "SCHEMA-PANEL-550W",
        "name": "550 W Mono Panel",
        "category": "solar_panel",
        "specs": {"power_w": 550},
    },
}
SEEDED_PACKAGE_ID = "SCHEMA-PKG-5KW"
SEEDED_PACKAGE = {
    "name": "5 kW Complete System",
    "system_size_kw": 5.0,
    "items": [
        {"product_id": "SCHEMA-INV-5KW", "quantity": 1},
        {"product_id": "SCHEMA-BAT-5KWH", "quantity": 2},
        {"product_id": "SCHEMA-PANEL-550W", "quantity": 10},
    ],
}
SEEDED_RULE = {"product_a_id": "SCHEMA-INV-5KW", "product_b_id": "SCHEMA-BAT-5KWH", "rule_type": "COMPATIBLE"}

# Ids that exist once `seeded_catalog` ran, drawn for id-like fields half of the time: reads and checks then reach
# stored items, not only the "unknown id" answers.
_ID_FIELDS = (
    "path.id",
    "query.product_id",
    "body.product_id",
    "body.product_a_id",
    "body.product_b_id",
    "body.package_id",
    "body.items[*].product_id",
)
_CONFIG: dict[str, Any] = {
    "dictionaries": {"catalog_ids": {"values": [*SEEDED_PRODUCTS, SEEDED_PACKAGE_ID]}},
    "parameters": {field: {"dictionary": "catalog_ids", "probability": 0.5} for field in _ID_FIELDS},
    # The staff token goes with every call (see the test): generated Authorization headers would only ever reach
    # the authorizer, never a function.
    "generation": {"with-security-parameters": False},
    "checks": {
        # API Gateway answers a method that no route declares with 404 (as on AWS), never with 405 and Allow.
        "unsupported_method": {"enabled": False},
    },
    "operations": [
        {
            # contract.md: a rule between a product and itself is well formed but semantically invalid (422).
            "include-path": "/products/compatibility/rules",
            "include-method": "POST",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422"]}},
        },
        {
            # contract.md: crew_id and date come together (that slot) or not at all (the first free one); one alone
            # is 400. OpenAPI can say so only with dependentRequired, which the case generator does not honour.
            "include-path": "/installation-requests/{id}/booking",
            "include-method": "PUT",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409", "422"]}},
        },
    ],
}

schema = schemathesis.openapi.from_path(ROOT / "openapi.json", config=schemathesis.Config.from_dict(_CONFIG))


def contract_error_body(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """contract.md: every 4xx is `{"error": str, "message": str, "details": list?}`."""
    if not 400 <= response.status_code < 500:
        return None
    if case.method.upper() != case.operation.method.upper():
        # A method that no route declares never reaches a function: API Gateway itself answers
        # `{"message": "Not Found"}`, as on AWS, where an HTTP API's own answers cannot be reshaped.
        return None
    body = response.json()
    assert isinstance(body, dict), f"the error body is not an object: {body!r}"
    assert isinstance(body.get("error"), str), f"no string `error` in {body!r}"
    assert isinstance(body.get("message"), str), f"no string `message` in {body!r}"
    assert isinstance(body.get("details", []), list), f"`details` is not a list in {body!r}"
    return True


PAGED_LISTS = ("GET /opensolar/projects", "GET /opensolar/webhook-logs", "GET /automation/orders")


def respect_what_the_schema_cannot_say(case: schemathesis.Case) -> None:
    """An order's body may repeat its id, but only the path's (OrderIn's description): a valid one is dropped, which
    keeps the case valid (the path gives the id) without re-encoding the generated path id. A list's `next_token` is
    valid only as this API gave it out, so a generated one (any string) is dropped."""
    if case.operation.label in PAGED_LISTS and isinstance(case.query, dict):
        case.query.pop("next_token", None)
    body = case.body
    if case.operation.label != "PUT /orders/{id}" or not isinstance(body, dict):
        return
    given = body.get("order_id")
    if (isinstance(given, int) and not isinstance(given, bool)) or (isinstance(given, str) and 0 < len(given) <= 128):
        del body["order_id"]


def leave_shared_state_alone(case: schemathesis.Case, stack: dict[str, Any]) -> None:
    """The e2e tests share one stack: generated writes must not start the paid-order automation, add warranty rules
    that outrank the ones other tests rely on, or point the OpenSolar integration somewhere unreachable (routes that
    call OpenSolar would answer 503, rightly). Only valid values are changed, so a negative case stays one."""
    body = case.body
    if not isinstance(body, dict):
        return
    if case.operation.label == "PUT /opensolar/config":
        _keep_opensolar_reachable(body, stack)
    if case.operation.label == "POST /warranty-rules" and body.get("is_active", True) is True:
        body["is_active"] = False
    won_and_paid = (body.get("stage"), body.get("payment_status")) == ("closed_won", "paid")
    if case.operation.label == "PUT /orders/{id}" and won_and_paid:
        body["payment_status"] = "pending"


@pytest.fixture(scope="module")
def seeded_catalog(api: Api) -> None:
    """Products, a package and a rule under the ids the generator draws from (kept if they already exist)."""
    for product_id, product in SEEDED_PRODUCTS.items():
        assert api.request("PUT", f"/products/{product_id}", json=product).status_code in (200, 201)
    assert api.request("PUT", f"/packages/{SEEDED_PACKAGE_ID}", json=SEEDED_PACKAGE).status_code in (200, 201)
    assert api.request("POST", "/products/compatibility/rules", json=SEEDED_RULE).status_code in (201, 409)


def _keep_opensolar_reachable(body: dict[str, Any], stack: dict[str, Any]) -> None:
    working = {
        "base_url": (str, stack["opensolar_url"]),
        "org_id": ((int, float), stack["opensolar_credentials"]["org_id"]),  # 5.0 is a JSON integer too
        "api_timeout_s": ((int, float), 30),
    }
    for name, (kind, value) in working.items():
        given = body.get(name)
        absent = name not in body  # a PUT replaces the config: an absent field takes its default (the real API)
        if absent or (isinstance(given, kind) and not isinstance(given, bool) and _valid_config_value(name, given)):
            body[name] = value


def _valid_config_value(name: str, value: Any) -> bool:
    if name == "base_url":
        return bool(re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value)) and len(value) <= 200
    if name == "org_id":
        return float(value).is_integer() and value >= 1
    return bool(0.1 <= value <= 120)


@pytest.fixture(scope="module", autouse=True)
def opensolar_config_restored(api: Api) -> Iterator[None]:
    """Generated `PUT /opensolar/config` bodies replace the shared stack's config; the module puts it back."""
    answer = api.request("GET", "/opensolar/config")
    assert answer.status_code == 200
    yield
    assert api.request("PUT", "/opensolar/config", json=answer.json()).status_code == 200


@pytest.fixture(scope="module")
def http_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, local_stack: dict[str, Any], seeded_catalog: None, http_session: requests.Session
) -> None:
    respect_what_the_schema_cannot_say(case)
    leave_shared_state_alone(case, local_stack)
    case.call_and_validate(
        base_url=local_stack["api_url"],
        session=http_session,
        headers={"Authorization": f"Bearer {local_stack['staff_token']}"},
        additional_checks=[contract_error_body],
    )
