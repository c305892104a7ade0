"""OpenSolar in through the local stack: the webhook registered through the API, the fake OpenSolar delivering to the
local receiver, the processor moving our installation request, and our own status change reaching OpenSolar once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.scenarios.sample_catalog import sample_order
from tests.e2e.conftest import Api, wait_until
from tests.e2e.test_opensolar_out import fake, synced
from tests.e2e.test_paid_order_automation import automation_done, catalog, new_order_id, put_order  # noqa: F401

STATUS_MAP = {
    "scheduled": {"workflow_id": 1, "active_stage_id": 7},
    "in_progress": {"workflow_id": 1, "active_stage_id": 9},
}
PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"


@pytest.fixture(scope="module")
def registered(api: Api, local_stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The integration mapped for pushes, and our webhook registered in the fake (through our API); both undone."""
    config = api.request("GET", "/opensolar/config").json()
    assert api.request("PUT", "/opensolar/config", json={**config, "status_map": STATUS_MAP}).status_code == 200
    answer = api.request("PUT", "/opensolar/webhook-registration")
    assert answer.status_code == 200, answer.text
    yield answer.json()
    api.request("DELETE", "/opensolar/webhook-registration")
    api.request("PUT", "/opensolar/config", json=config)


@pytest.fixture(scope="module")
def paid_request(api: Api, catalog: None, registered: dict[str, Any]) -> tuple[str, int]:  # noqa: F811
    order_id = new_order_id("opensolar-in")
    put_order(api, sample_order(order_id))
    request_id = str(automation_done(api, order_id)["installation_request"]["id"])
    return request_id, int(synced(api, request_id)["opensolar_project_id"])


def status_of(api: Api, request_id: str) -> str:
    return str(api.request("GET", f"/opensolar/projects/{request_id}").json()["status"])


def deliveries_of(local_stack: dict[str, Any], project_id: int) -> list[dict[str, Any]]:
    return [d for d in fake(local_stack, "deliveries") if d["body"].get("model_id") == project_id]


def test_the_registration_points_opensolar_at_this_api(
    api: Api, registered: dict[str, Any], local_stack: dict[str, Any]
) -> None:
    assert registered["endpoint"] == f"{local_stack['api_url']}/opensolar/webhook/"
    assert registered["enabled"] is True
    assert api.request("GET", "/opensolar/webhook-registration").json() == registered


def test_a_contract_signed_in_opensolar_makes_our_request_scheduled_within_seconds(
    api: Api, local_stack: dict[str, Any], paid_request: tuple[str, int]
) -> None:
    request_id, project_id = paid_request
    fake(local_stack, f"projects/{project_id}/stage", {"active_stage_id": 7})
    wait_until(lambda: status_of(api, request_id) == "scheduled", timeout_s=15)
    delivered = [d for d in deliveries_of(local_stack, project_id) if d["status"] == "success"]
    assert delivered
    assert all(d["attempts"][-1]["status_code"] == 200 for d in delivered)
    logs = api.request("GET", "/opensolar/webhook-logs", params={"status": "processed"}).json()["items"]
    assert any(entry["payload"].get("model_id") == project_id for entry in logs)


def test_the_same_delivery_again_is_a_duplicate_and_an_older_one_changes_nothing(
    api: Api, local_stack: dict[str, Any], paid_request: tuple[str, int]
) -> None:
    request_id, project_id = paid_request
    wait_until(lambda: status_of(api, request_id) == "scheduled", timeout_s=15)
    last = deliveries_of(local_stack, project_id)[-1]
    url = f"{local_stack['api_url']}/opensolar/webhook/"
    again = requests.post(url, json=last["body"], headers=last["headers"], timeout=10)
    assert again.json() == {"status": "duplicate"}
    older = {**last["body"], "event_id": last["body"]["event_id"] + 100_000, "timestamp": "1700000000"}
    older["fields"] = {**older["fields"], "stage": 0, "workflow": {"workflow_id": 1, "active_stage_id": 2}}
    assert requests.post(url, json=older, headers=last["headers"], timeout=10).json() == {"status": "accepted"}
    key = f"Project:{project_id}:{older['event_id']}"
    wait_until(lambda: _log_status(api, key) == "processed", timeout_s=15)
    assert status_of(api, request_id) == "scheduled"


def test_a_wrong_secret_is_refused_through_the_api(local_stack: dict[str, Any]) -> None:
    answer = requests.post(
        f"{local_stack['api_url']}/opensolar/webhook/", json={}, headers={"X-OpenSolar-Secret": "nope"}, timeout=10
    )
    assert answer.status_code == 401


def test_our_status_change_reaches_opensolar_once_and_its_echo_changes_nothing(
    api: Api, local_stack: dict[str, Any], paid_request: tuple[str, int]
) -> None:
    request_id, project_id = paid_request
    wait_until(lambda: status_of(api, request_id) == "scheduled", timeout_s=15)
    writes = fake(local_stack, "stats")["calls"].get(PATCH_PROJECT, 0)
    answer = api.request("PATCH", f"/installation-requests/{request_id}", json={"status": "in_progress"})
    assert answer.status_code == 200, answer.text
    wait_until(lambda: fake(local_stack, f"projects/{project_id}")["workflow"]["active_stage_id"] == 9, timeout_s=30)
    # the echo is delivered and processed...
    wait_until(lambda: _echo_processed(api, local_stack, project_id), timeout_s=15)
    # ...and changed nothing, and pushed nothing
    assert status_of(api, request_id) == "in_progress"
    assert fake(local_stack, "stats")["calls"].get(PATCH_PROJECT, 0) == writes + 1


def _log_status(api: Api, event_key: str) -> str | None:
    for status in ("processed", "ignored", "error", "received"):
        items = api.request("GET", "/opensolar/webhook-logs", params={"status": status, "limit": "100"}).json()["items"]
        if any(item["event_key"] == event_key for item in items):
            return status
    return None


def _echo_processed(api: Api, local_stack: dict[str, Any], project_id: int) -> bool:
    echoes = [
        d
        for d in deliveries_of(local_stack, project_id)
        if d["body"]["fields"].get("workflow", {}).get("active_stage_id") == 9
    ]
    return bool(echoes) and all(
        _log_status(api, f"Project:{project_id}:{d['body']['event_id']}") == "processed" for d in echoes
    )
