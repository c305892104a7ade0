"""OpenSolar out through the local stack: a paid order's installation request becomes a project in the fake
OpenSolar (SyncQueue polled by the stack), the projects API shows it, and the hourly retry runs through
`python -m local invoke` like its schedule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from local.scenarios.sample_catalog import sample_order
from local.stack_process import StackProcess
from tests.e2e.conftest import Api, wait_until
from tests.e2e.test_invoke_and_stop import invoke
from tests.e2e.test_paid_order_automation import automation_done, catalog, new_order_id, put_order  # noqa: F401

EVENTS = Path(__file__).resolve().parents[2] / "events"


def fake(local_stack: dict[str, Any], route: str, body: dict[str, Any] | None = None) -> Any:
    """The fake OpenSolar's control routes (GET, or POST with a body)."""
    url = f"{local_stack['opensolar_url']}/_control/{route}"
    answer = requests.post(url, json=body, timeout=10) if body is not None else requests.get(url, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def synced(api: Api, request_id: str) -> dict[str, Any]:
    def project() -> dict[str, Any] | None:
        answer = api.request("GET", f"/opensolar/projects/{request_id}/")
        body: dict[str, Any] = answer.json()
        return body if answer.status_code == 200 and body["sync_status"] == "synced" else None

    result: dict[str, Any] = wait_until(project, timeout_s=30)
    return result


@pytest.fixture(scope="module")
def paid_request(api: Api, catalog: None) -> str:  # noqa: F811 - the catalog fixture
    order_id = new_order_id("opensolar")
    put_order(api, sample_order(order_id))
    view = automation_done(api, order_id)
    assert view["automation"]["state"] == "created", view
    return str(view["installation_request"]["id"])


def test_a_paid_orders_installation_request_becomes_one_project_in_opensolar(
    api: Api, local_stack: dict[str, Any], paid_request: str
) -> None:
    project = synced(api, paid_request)
    found = [p for p in fake(local_stack, "projects") if p["identifier"] == paid_request]
    assert len(found) == 1
    assert project["opensolar_project_id"] == str(found[0]["id"])
    (contact,) = found[0]["contacts"]
    assert (contact["first_name"], contact["family_name"]) == ("John", "Doe")
    logs = api.request("GET", f"/opensolar/projects/{paid_request}/sync-logs").json()["items"]
    assert [entry["operation"] for entry in logs] == ["create"]


def test_the_project_is_listed_with_the_synced_ones_and_counted_in_the_stats(api: Api, paid_request: str) -> None:
    synced(api, paid_request)
    ids: list[str] = []
    token = None
    while True:
        query = {"sync_status": "synced", "limit": "50", **({"next_token": token} if token else {})}
        page = api.request("GET", "/opensolar/projects", params=query).json()
        ids += [item["id"] for item in page["items"]]
        token = page["next_token"]
        if not token:
            break
    assert paid_request in ids
    stats = api.request("GET", "/opensolar/stats").json()
    assert stats["synced"] >= 1
    assert stats["sync_success_rate"] is not None


def test_the_hourly_retry_runs_through_local_invoke_with_its_schedules_event(
    local_stack_process: StackProcess, tmp_path: Path
) -> None:
    event = json.loads((EVENTS / "retry_failed_hourly.json").read_text())
    result = invoke(local_stack_process.state_file, "RetryFailedFunction", event, tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {"queued", "not_queued", "exhausted"} <= set(summary)


def test_the_live_status_reads_the_fake_and_keeps_its_stage(
    api: Api, local_stack: dict[str, Any], paid_request: str
) -> None:
    project_id = int(synced(api, paid_request)["opensolar_project_id"])
    fake(local_stack, f"projects/{project_id}/stage", {"active_stage_id": 7})
    answer = api.request("GET", f"/opensolar/projects/{paid_request}/status/")
    assert answer.status_code == 200, answer.text
    assert answer.json()["opensolar_stage"]["active_stage_id"] == 7
