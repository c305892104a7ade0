"""Status both ways (design.md flow 8): staff move an installation request through PATCH /installation-requests/{id};
a status named in status_map reaches the OpenSolar project with one write, OpenSolar's echo of it changes nothing
and pushes nothing, and a change that came from OpenSolar is never pushed back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import http_events
from tests.support.http_events import Answer, http_event
from tests.support.opensolar_stack import SyncStack
from tests.support.ssr_stack import load_handler

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
STATUS_MAP = {
    "scheduled": {"workflow_id": 1, "active_stage_id": 7},
    "in_progress": {"workflow_id": 1, "active_stage_id": 9},
    "completed": {"workflow_id": 1, "active_stage_id": 10},
}
FIELDS = ["project.identifier", "project.stage", "project.workflow", "project.contract_date", "project.sold_date"]


def patch(request_id: str, body: Any, groups: tuple[str, ...] | None = ("staff",)) -> Answer:
    event = http_event("PATCH", "/installation-requests/{id}", {"id": request_id}, body=body, groups=groups)
    return http_events.invoke(load_handler("projects_api").handler, event)


@pytest.fixture
def mapped(fresh: SyncStack) -> SyncStack:
    """Statuses mapped to the fake's stages, and a webhook registered in the fake (deliveries held, read back)."""
    fresh.configure(status_map=STATUS_MAP)
    fresh.fake.create_webhook(
        {
            "endpoint": "http://127.0.0.1:9/x/",
            "enabled": True,
            "debug": False,
            "trigger_fields": FIELDS,
            "payload_fields": FIELDS,
        }
    )
    fresh.fake.inject_deliveries(hold_next=1000)
    return fresh


def synced(stack: SyncStack) -> tuple[str, int]:
    request_id = stack.installation_request()
    stack.deliver()
    return request_id, int(stack.link(request_id)["opensolar_project_id"])


def audit_of(stack: SyncStack, request_id: str) -> list[dict[str, Any]]:
    entries = stack.ssr.installation_items(stack.link(request_id)["order_id"], "audit")
    return sorted((entry for entry in entries if entry["action"] != "sync_queued"), key=lambda entry: entry["at"])


# ---------------------------------------------------------------- the route


def test_staff_move_a_request_along_the_contracts_transitions_with_an_audit_entry_each(mapped: SyncStack) -> None:
    request_id = mapped.installation_request(queue=False)
    answer = patch(
        request_id, {"status": "scheduled", "installation_date": "2026-12-10", "note": "Called the customer"}
    )
    assert answer.status == 200
    assert {"id", "status", "installation_type", "customer_name", "phone", "address", "installation_date"} <= set(
        answer.body
    )
    assert (answer.body["status"], answer.body["installation_date"]) == ("scheduled", "2026-12-10")
    assert answer.body["updated_at"]
    assert patch(request_id, {"status": "pending"}).status == 200  # back within the first three
    assert patch(request_id, {"status": "scheduled"}).status == 200
    assert patch(request_id, {"status": "in_progress"}).status == 200
    assert patch(request_id, {"status": "completed"}).status == 200
    details = [entry["detail"] for entry in audit_of(mapped, request_id) if entry["action"] == "status_changed"]
    assert [detail.split(" by ")[0] for detail in details] == [
        "pending → scheduled",
        "scheduled → pending",
        "pending → scheduled",
        "scheduled → in_progress",
        "in_progress → completed",
    ]
    assert "Called the customer" in details[0]
    assert mapped.link(request_id)["installation_status"] == "completed"


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        (["completed"], "pending"),  # a final status is final
        (["cancelled"], "scheduled"),
        ([], "completed"),  # pending cannot skip to completed
        ([], "in_progress"),
    ],
)
def test_moves_the_contract_does_not_allow_are_409_and_change_nothing(
    mapped: SyncStack, moves: list[str], refused: str
) -> None:
    request_id = mapped.installation_request(queue=False)
    for status in moves:
        path = {"completed": ["scheduled", "in_progress", "completed"], "cancelled": ["cancelled"]}[status]
        for step in path:
            assert patch(request_id, {"status": step}).status == 200
    before = mapped.request_item(request_id)["status"]
    answer = patch(request_id, {"status": refused})
    assert (answer.status, answer.body["error"]) == (409, "conflict")
    assert mapped.request_item(request_id)["status"] == before


@pytest.mark.parametrize(
    "body",
    [{}, {"status": "installed"}, {"installation_date": "10/12/2026"}, {"installation_date": 1795000000}, {"x": 1}],
)
def test_a_patch_out_of_shape_is_a_400(mapped: SyncStack, body: Any) -> None:
    request_id = mapped.installation_request(queue=False)
    assert patch(request_id, body).status == 400


def test_the_route_is_for_staff_and_knows_its_ids(mapped: SyncStack) -> None:
    request_id = mapped.installation_request(queue=False)
    assert patch(request_id, {"status": "scheduled"}, groups=()).status == 403
    assert patch("IR-NOSUCH01", {"status": "scheduled"}).status == 404


# ---------------------------------------------------------------- both ways, no echo


def test_a_status_set_by_staff_reaches_opensolar_with_one_write_and_its_echo_changes_nothing(mapped: SyncStack) -> None:
    # given a synced request, and the fake's deliveries so far
    request_id, project_id = synced(mapped)
    before = len(mapped.deliveries_for(project_id))
    # when staff mark the installation in progress
    assert patch(request_id, {"status": "in_progress"}).status == 409  # one step at a time: first scheduled
    assert patch(request_id, {"status": "scheduled"}).status == 200
    mapped.deliver()
    assert patch(request_id, {"status": "in_progress"}).status == 200
    mapped.deliver()
    # then OpenSolar got one stage write per status, and the project stands at the mapped stage
    assert mapped.fake.call_counts()[PATCH_PROJECT] == 2
    assert mapped.fake.project(project_id)["workflow"]["active_stage_id"] == 9
    assert {log["operation"] for log in mapped.sync_logs(request_id)} >= {"push"}
    # when OpenSolar's webhooks about our own writes (the echo) come back
    echoes = mapped.deliveries_for(project_id)[before:]
    assert echoes
    for body in echoes:
        assert mapped.webhook(body).status == 200
    mapped.process_webhooks()
    # then our status is unchanged, nothing is queued to push, and OpenSolar got no further write
    assert mapped.request_item(request_id)["status"] == "in_progress"
    assert mapped.in_queue() == 0
    mapped.deliver()
    assert mapped.fake.call_counts()[PATCH_PROJECT] == 2


def test_a_change_that_came_from_opensolar_is_never_pushed_back(mapped: SyncStack) -> None:
    request_id, project_id = synced(mapped)
    before = len(mapped.deliveries_for(project_id))
    mapped.fake.set_stage(project_id, active_stage_id=7)  # contract signed in OpenSolar
    for body in mapped.deliveries_for(project_id)[before:]:
        mapped.webhook(body)
    mapped.process_webhooks()
    assert mapped.request_item(request_id)["status"] == "scheduled"
    assert mapped.in_queue() == 0
    assert PATCH_PROJECT not in mapped.fake.call_counts()


def test_an_unmapped_status_is_not_pushed(mapped: SyncStack) -> None:
    mapped.configure(status_map={})
    request_id, _ = synced(mapped)
    assert patch(request_id, {"status": "scheduled"}).status == 200
    assert mapped.in_queue() == 0


def test_a_push_that_fails_is_retried_and_still_pushes(mapped: SyncStack) -> None:
    request_id, project_id = synced(mapped)
    mapped.fake.set_faults(rate_500=1.0, routes="writes")
    assert patch(request_id, {"status": "scheduled"}).status == 200
    mapped.deliver()  # 500: the message comes back
    mapped.fake.clear_faults()
    mapped.deliver(wait_s=5)
    assert mapped.fake.project(project_id)["workflow"]["active_stage_id"] == 7
    assert "push_pending" not in mapped.link(request_id)
