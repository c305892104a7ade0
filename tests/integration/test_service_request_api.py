"""`GET /orders/{id}/service-request` and `GET /service-requests/{ssr_id}` (projects_api) keep contract.md's shape."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from solar_core.automation import state as automation
from tests.support.ssr_stack import (
    CABLE,
    EVENTS,
    SsrStack,
    invoke,
    run_paid_order,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
VIEW_KEYS = {"ssr", "installation_request", "warranties", "audit", "automation"}


def get(path: str, sample: str = "projects_get_order_service_request.json") -> tuple[int, dict[str, Any]]:
    """GET `path` through the API Gateway payload-2.0 sample event (stage `dev`, a Cognito JWT's claims)."""
    event = copy.deepcopy(json.loads((EVENTS / sample).read_text()))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/dev{path}"
    # API Gateway names the route's parameters from the same path (the handlers read them from there)
    route = event["routeKey"].split(" ", 1)[1]
    event["pathParameters"] = {
        name[1:-1]: value for name, value in zip(route.split("/"), path.split("/"), strict=False) if name[:1] == "{"
    }
    response = invoke("projects_api", event)
    return response["statusCode"], json.loads(response["body"])


def test_before_the_automation_starts_the_order_has_no_service_request(stack: SsrStack, order_id: str) -> None:
    status, body = get(f"/orders/{order_id}/service-request")
    assert status == 404
    assert body["error"] == "not_found"
    assert order_id in body["message"]


def test_a_created_service_request_answers_with_the_contract_shape_by_order_and_by_ssr_id(
    stack: SsrStack, order_id: str
) -> None:
    # given a paid order whose automation created its records
    run_paid_order(stack, order_id)
    # when the service request is read by order (with and without the trailing slash) and by SSR id
    status, body = get(f"/orders/{order_id}/service-request")
    slash_status, slash_body = get(f"/orders/{order_id}/service-request/")
    ssr_id = body["ssr"]["ssr_id"]
    by_ssr_status, by_ssr = get(f"/service-requests/{ssr_id}", "projects_get_service_request.json")
    # then all three answer 200 with the same body, in contract.md's shape
    assert (status, slash_status, by_ssr_status) == (200, 200, 200)
    assert body == slash_body == by_ssr
    assert set(body) == VIEW_KEYS
    ssr = body["ssr"]
    assert {"ssr_id", "order_id", "status", "system_size_kw", "system_type", "created_at"} <= set(ssr)
    assert (ssr["order_id"], ssr["status"], ssr["system_size_kw"], ssr["system_type"]) == (
        order_id,
        "PENDING",
        5.0,
        "solar",
    )
    request = body["installation_request"]
    assert {"id", "status", "installation_type", "customer_name", "phone", "address"} <= set(request)
    assert (request["status"], request["installation_type"], request["customer_name"], request["phone"]) == (
        "pending",
        "solar",
        "John Doe",
        "+263771234567",
    )
    assert request["address"]["city"] == "Harare"
    for warranty in body["warranties"]:
        assert {"warranty_id", "product_id", "start_date", "end_date", "duration_days"} <= set(warranty)
        assert "serial_number" not in warranty  # `serial_number?`: left out when the line had none
    assert sorted(w["duration_days"] for w in body["warranties"]) == [365, 365, 730]
    assert body["audit"][0]["action"] == "ssr_created"
    assert all(set(entry) == {"at", "action", "detail"} for entry in body["audit"])
    assert body["automation"] == {"state": "created"}


def test_a_skipped_order_answers_200_with_no_records_and_the_reason(stack: SsrStack, order_id: str) -> None:
    run_paid_order(stack, order_id, [{"product_id": CABLE, "quantity": 1}])
    status, body = get(f"/orders/{order_id}/service-request")
    assert status == 200
    assert (body["ssr"], body["installation_request"], body["warranties"]) == (None, None, [])
    assert body["automation"] == {"state": "skipped", "reason": "The order has no solar lines."}


def test_a_running_automation_answers_200_with_state_running(stack: SsrStack, order_id: str) -> None:
    automation.mark_running(order_id, "execution")
    status, body = get(f"/orders/{order_id}/service-request")
    assert status == 200
    assert body == {
        "ssr": None,
        "installation_request": None,
        "warranties": [],
        "audit": [],
        "automation": {"state": "running"},
    }


def test_an_unknown_ssr_id_is_404(stack: SsrStack) -> None:
    status, body = get("/service-requests/ISR-00000000", "projects_get_service_request.json")
    assert (status, body["error"]) == (404, "not_found")
