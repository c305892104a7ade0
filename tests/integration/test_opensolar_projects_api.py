"""The OpenSolar routes of projects_api (contract.md "OpenSolar"): lists by index, syncs one and many, live status,
logs, config and stats, through API Gateway payload-2.0 events."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from solar_core.opensolar import links
from solar_core.opensolar.links import FAILED, PENDING
from solar_core.opensolar.tables import LinkItem
from tests.support import http_events
from tests.support.http_events import Answer, http_event
from tests.support.opensolar_stack import SyncStack, project_delivery
from tests.support.ssr_stack import EVENTS, load_handler

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

PROJECT_KEYS = {
    "id",
    "ssr_id",
    "order_id",
    "opensolar_project_id",
    "sync_status",
    "retry_count",
    "last_synced_at",
    "last_error",
    "status",
    "opensolar_stage",
    "proposal_url",
    "contract_signed_at",
    "installation_date",
    "customer_name",
    "address",
}


def call(
    method: str,
    route: str,
    path_parameters: dict[str, str] | None = None,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    groups: tuple[str, ...] | None = ("staff",),
) -> Answer:
    event = http_event(method, route, path_parameters, body=body, query=query, groups=groups)
    return http_events.invoke(load_handler("projects_api").handler, event)


def synced_request(stack: SyncStack) -> str:
    request_id = stack.installation_request()
    stack.deliver()
    return request_id


def failed_request(stack: SyncStack) -> str:
    request_id = stack.installation_request(queue=False)
    links.change_status(request_id, old=PENDING, new=FAILED, actions=[LinkItem.last_error.set("OpenSolar failed")])
    return request_id


def listed(query: dict[str, str]) -> list[str]:
    """Every id the list answers over all its pages, following next_token."""
    ids: list[str] = []
    token: str | None = None
    while True:
        answer = call("GET", "/opensolar/projects", query={**query, **({"next_token": token} if token else {})})
        assert answer.status == 200, answer.body
        ids += [project["id"] for project in answer.body["items"]]
        token = answer.body["next_token"]
        if token is None:
            return ids


# ---------------------------------------------------------------- reading


def test_a_project_answers_in_the_contracts_shape(fresh: SyncStack) -> None:
    request_id = synced_request(fresh)
    answer = call("GET", "/opensolar/projects/{id}", {"id": request_id})
    assert answer.status == 200
    assert set(answer.body) >= PROJECT_KEYS
    assert answer.body["sync_status"] == "synced"
    assert answer.body["status"] == "pending"
    assert answer.body["opensolar_project_id"] == str(fresh.projects_named(request_id)[0]["id"])
    assert answer.body["customer_name"] == "John Doe"


def test_an_unknown_project_is_404(fresh: SyncStack) -> None:
    answer = call("GET", "/opensolar/projects/{id}", {"id": "IR-NOSUCH01"})
    assert (answer.status, answer.body["error"]) == (404, "not_found")


def test_the_list_filters_by_sync_status_and_by_status_and_pages_with_next_token(fresh: SyncStack) -> None:
    synced, failed = synced_request(fresh), failed_request(fresh)
    pending = [fresh.installation_request(queue=False) for _ in range(5)]
    # each filter answers its own, across pages of two
    pending_ids = listed({"sync_status": "pending", "limit": "2"})
    assert set(pending) <= set(pending_ids)
    assert len(pending_ids) == len(set(pending_ids))
    assert synced not in pending_ids
    assert failed not in pending_ids
    assert synced in listed({"sync_status": "synced"})
    assert failed in listed({"sync_status": "failed"})
    assert {synced, failed, *pending} <= set(listed({"status": "pending", "limit": "3"}))
    assert listed({"status": "completed"}) == []
    assert failed in listed({"sync_status": "failed", "status": "pending"})
    assert listed({"sync_status": "failed", "status": "scheduled"}) == []


def test_the_unfiltered_list_shows_the_failed_first_and_covers_everything(fresh: SyncStack) -> None:
    failed = failed_request(fresh)
    synced = synced_request(fresh)
    everything = listed({"limit": "3"})
    assert everything[0] in listed({"sync_status": "failed"})
    assert {failed, synced} <= set(everything)
    assert len(everything) == len(set(everything))
    assert everything.index(failed) < everything.index(synced)


@pytest.mark.parametrize("token", ["not-a-token", "eyJwIjowfQ", "e30"])
def test_a_next_token_this_api_did_not_give_is_a_400(fresh: SyncStack, token: str) -> None:
    answer = call("GET", "/opensolar/projects", query={"next_token": token})
    assert (answer.status, answer.body["error"]) == (400, "invalid_input")


def test_a_next_token_from_another_listing_is_a_400(fresh: SyncStack) -> None:
    for _ in range(2):
        fresh.installation_request(queue=False)
    token = call("GET", "/opensolar/projects", query={"sync_status": "pending", "limit": "1"}).body["next_token"]
    answer = call("GET", "/opensolar/projects", query={"sync_status": "synced", "next_token": token})
    assert answer.status == 400
    assert "same filters" in answer.body["message"]


def test_the_list_refuses_an_unknown_filter_value(fresh: SyncStack) -> None:
    assert call("GET", "/opensolar/projects", query={"sync_status": "lost"}).status == 400
    assert call("GET", "/opensolar/projects", query={"limit": "101"}).status == 400


def test_sync_logs_answer_newest_first(fresh: SyncStack) -> None:
    request_id = synced_request(fresh)
    fresh.send({"installation_request_id": request_id, "reason": "manual", "force": True})
    fresh.deliver()
    answer = call("GET", "/opensolar/projects/{id}/sync-logs", {"id": request_id})
    assert answer.status == 200
    assert [entry["operation"] for entry in answer.body["items"]] == ["update", "create"]
    assert {"at", "operation", "success", "duration_ms", "http_status"} <= set(answer.body["items"][0])
    assert call("GET", "/opensolar/projects/{id}/sync-logs", {"id": "IR-NOSUCH01"}).status == 404


# ---------------------------------------------------------------- asking for syncs


def test_a_manual_sync_is_queued_once_and_carried_out_even_with_auto_sync_off(fresh: SyncStack) -> None:
    fresh.configure(auto_sync_enabled=False)
    request_id = fresh.installation_request(queue=False)
    first = call("POST", "/opensolar/projects/{id}/sync", {"id": request_id})
    again = call("POST", "/opensolar/projects/{id}/sync", {"id": request_id})  # a double click
    assert (first.status, first.body, again.status) == (202, {"queued": True}, 202)
    assert fresh.in_queue() == 1
    fresh.deliver()
    assert len(fresh.projects_named(request_id)) == 1


def test_a_synced_project_needs_force_to_sync_again(fresh: SyncStack) -> None:
    request_id = synced_request(fresh)
    refused = call("POST", "/opensolar/projects/{id}/sync", {"id": request_id})
    assert refused.status == 409
    assert "force=true" in refused.body["message"]
    forced = call("POST", "/opensolar/projects/{id}/sync", {"id": request_id}, query={"force": "true"})
    assert forced.status == 202
    fresh.deliver()
    assert fresh.fake.call_counts()["PATCH /api/orgs/{org_id}/projects/{project_id}/"] == 1


def test_a_failed_sync_asked_again_is_pending_until_it_runs(fresh: SyncStack) -> None:
    request_id = failed_request(fresh)
    assert call("POST", "/opensolar/projects/{id}/sync/", {"id": request_id}).status == 202
    assert fresh.link(request_id)["sync_status"] == "pending"


def test_syncs_are_refused_while_the_integration_is_inactive(fresh: SyncStack) -> None:
    request_id = fresh.installation_request(queue=False)
    fresh.configure(is_active=False)
    answer = call("POST", "/opensolar/projects/{id}/sync", {"id": request_id})
    assert answer.status == 409
    assert "not active" in answer.body["message"]
    bulk = call("POST", "/opensolar/projects/sync", body={"ids": [request_id]})
    assert bulk.status == 409
    assert fresh.in_queue() == 0


def test_an_unknown_project_cannot_be_synced(fresh: SyncStack) -> None:
    assert call("POST", "/opensolar/projects/{id}/sync", {"id": "IR-NOSUCH01"}).status == 404


def test_a_bulk_sync_queues_what_it_can_and_says_why_for_each_refused_id(fresh: SyncStack) -> None:
    synced, pending = synced_request(fresh), fresh.installation_request(queue=False)
    answer = call("POST", "/opensolar/projects/sync", body={"ids": [pending, synced, "IR-NOSUCH01", pending]})
    assert answer.status == 202
    assert answer.body["queued"] == [pending]
    reasons = {entry["id"]: entry["reason"] for entry in answer.body["rejected"]}
    assert set(reasons) == {synced, "IR-NOSUCH01"}
    assert "Already synced" in reasons[synced]
    assert "No installation request" in reasons["IR-NOSUCH01"]
    assert fresh.in_queue() == 1


@pytest.mark.parametrize("body", [{"ids": []}, {"ids": [f"IR-{n:08d}" for n in range(101)]}, {"id": ["x"]}, []])
def test_a_bulk_sync_body_out_of_shape_is_a_400(fresh: SyncStack, body: Any) -> None:
    assert call("POST", "/opensolar/projects/sync", body=body).status == 400


# ---------------------------------------------------------------- live status


def test_the_live_status_reads_opensolar_and_keeps_what_it_says(fresh: SyncStack) -> None:
    request_id = synced_request(fresh)
    project_id = fresh.projects_named(request_id)[0]["id"]
    fresh.fake.set_stage(project_id, active_stage_id=7)  # someone marks the contract signed in OpenSolar
    answer = call("GET", "/opensolar/projects/{id}/status", {"id": request_id})
    assert answer.status == 200
    assert answer.body["opensolar_stage"] == {"workflow_id": 1, "active_stage_id": 7, "milestone": 2}
    assert answer.body["contract_signed_at"]
    assert call("GET", "/opensolar/projects/{id}", {"id": request_id}).body["opensolar_stage"]["milestone"] == 2
    assert {log["operation"] for log in fresh.sync_logs(request_id)} == {"create", "read"}


PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
PUSHABLE = {
    "scheduled": {"workflow_id": 1, "active_stage_id": 7},
    "in_progress": {"workflow_id": 1, "active_stage_id": 9},
    "completed": {"workflow_id": 1, "active_stage_id": 10},
}


def live_status(request_id: str) -> Answer:
    return call("GET", "/opensolar/projects/{id}/status", {"id": request_id})


def status_changes(stack: SyncStack, request_id: str) -> list[str]:
    order_id = stack.link(request_id)["order_id"]
    entries = sorted(stack.ssr.installation_items(order_id, "audit"), key=lambda entry: entry["at"])
    return [entry["detail"] for entry in entries if entry["action"] == "status_changed"]


def test_a_project_completed_in_opensolar_and_read_live_completes_the_request_with_one_audit_entry(
    fresh: SyncStack,
) -> None:
    # given a synced request whose project is completed in OpenSolar, with no webhook registered to say so
    request_id = synced_request(fresh)
    project_id = int(fresh.link(request_id)["opensolar_project_id"])
    fresh.fake.set_stage(project_id, active_stage_id=10)
    # when staff read its status live
    answer = live_status(request_id)
    # then the request is completed, here and on the link, with one audit entry from OpenSolar
    assert answer.status == 200
    assert answer.body["status"] == "completed"
    assert fresh.request_item(request_id)["status"] == "completed"
    assert fresh.link(request_id)["installation_status"] == "completed"
    changes = status_changes(fresh, request_id)
    assert len(changes) == 1
    assert changes[0].startswith("pending → completed from OpenSolar (live status read")


def test_reading_the_same_state_live_twice_adds_no_second_audit_entry(fresh: SyncStack) -> None:
    # given a request completed by a live read
    request_id = synced_request(fresh)
    fresh.fake.set_stage(int(fresh.link(request_id)["opensolar_project_id"]), active_stage_id=10)
    assert live_status(request_id).body["status"] == "completed"
    # when it is read again
    again = live_status(request_id)
    # then it is still completed, and the audit holds the one change
    assert (again.status, again.body["status"]) == (200, "completed")
    assert len(status_changes(fresh, request_id)) == 1
    assert [log["operation"] for log in fresh.sync_logs(request_id)].count("read") == 2


def test_a_state_read_live_that_is_behind_the_request_does_not_move_it_back(fresh: SyncStack) -> None:
    # given a request staff moved to in_progress while its project stands at a contract-signed stage
    request_id = synced_request(fresh)
    fresh.fake.set_stage(int(fresh.link(request_id)["opensolar_project_id"]), active_stage_id=7)
    for step in ("scheduled", "in_progress"):
        assert call("PATCH", "/installation-requests/{id}", {"id": request_id}, body={"status": step}).status == 200
    before = status_changes(fresh, request_id)
    # when the project is read live
    answer = live_status(request_id)
    # then the request stays in_progress, the stage is kept, and no status change is recorded
    assert (answer.status, answer.body["status"]) == (200, "in_progress")
    assert answer.body["opensolar_stage"]["active_stage_id"] == 7
    assert fresh.request_item(request_id)["status"] == "in_progress"
    assert status_changes(fresh, request_id) == before


def test_a_state_read_live_that_is_older_than_the_one_held_changes_nothing(fresh: SyncStack) -> None:
    # given a request scheduled by a webhook about a state newer than what OpenSolar's project now says
    request_id = synced_request(fresh)
    project_id = int(fresh.link(request_id)["opensolar_project_id"])
    fresh.fake.set_stage(project_id, active_stage_id=10)
    later = int(time.time()) + 3600
    newer = project_delivery(project_id, request_id, stage_id=7, milestone=2, at=later, event_id=1)
    assert fresh.webhook(newer).status == 200
    fresh.process_webhooks()
    assert fresh.request_item(request_id)["status"] == "scheduled"
    # when the project (completed, but modified before that delivery's state) is read live
    answer = live_status(request_id)
    # then the older state does not win: still scheduled at stage 7, one status change in the audit
    assert (answer.status, answer.body["status"]) == (200, "scheduled")
    assert fresh.link(request_id)["opensolar_stage"]["active_stage_id"] == 7
    assert len(status_changes(fresh, request_id)) == 1


def test_a_status_read_live_is_not_pushed_back_to_opensolar(fresh: SyncStack) -> None:
    # given statuses that staff changes would push, and a project completed in OpenSolar
    fresh.configure(status_map=PUSHABLE)
    request_id = synced_request(fresh)
    fresh.fake.set_stage(int(fresh.link(request_id)["opensolar_project_id"]), active_stage_id=10)
    # when the live read completes the request
    assert live_status(request_id).body["status"] == "completed"
    # then nothing is queued to push and OpenSolar gets no write back
    assert "push_pending" not in fresh.link(request_id)
    assert fresh.in_queue() == 0
    fresh.deliver()
    assert PATCH_PROJECT not in fresh.fake.call_counts()


def test_the_live_status_of_a_project_not_in_opensolar_yet_is_a_409(fresh: SyncStack) -> None:
    request_id = fresh.installation_request(queue=False)
    assert call("GET", "/opensolar/projects/{id}/status", {"id": request_id}).status == 409


def test_the_live_status_when_opensolar_fails_is_a_503_with_the_reason_and_a_log(fresh: SyncStack) -> None:
    request_id = synced_request(fresh)
    fresh.fake.set_faults(rate_500=1.0, routes="reads")
    answer = call("GET", "/opensolar/projects/{id}/status", {"id": request_id})
    assert answer.status == 503
    assert "OpenSolar failed (500)" in answer.body["message"]
    outcomes = {log["operation"]: log["outcome"] for log in fresh.sync_logs(request_id)}
    assert outcomes["read"] == "failed"


# ---------------------------------------------------------------- config and stats


def test_the_config_is_staff_only_and_holds_no_secret(fresh: SyncStack) -> None:
    assert call("GET", "/opensolar/config", groups=()).status == 403
    answer = call("GET", "/opensolar/config")
    assert answer.status == 200
    assert {"is_active", "auto_sync_enabled", "webhooks_enabled", "org_id", "base_url", "api_timeout_s"} <= set(
        answer.body
    )
    assert {"max_retries", "status_map", "stage_map"} <= set(answer.body)
    text = json.dumps(answer.body)
    assert "correct-horse-battery" not in text
    assert "password" not in text
    assert "s3cr3t-hook" not in text


def test_a_config_put_is_validated_saved_and_read_back(fresh: SyncStack) -> None:
    body = json.loads(json.loads((EVENTS / "projects_put_opensolar_config.json").read_text())["body"])
    body |= {"base_url": fresh.fake.base_url, "org_id": 1001}
    saved = call("PUT", "/opensolar/config", body=body)
    assert saved.status == 200
    assert saved.body["stage_map"] == {"7": "scheduled", "9": "in_progress"}
    assert saved.body["status_map"] == {"in_progress": {"workflow_id": 1, "active_stage_id": 9}}
    assert call("GET", "/opensolar/config").body == saved.body
    assert call("PUT", "/opensolar/config", body=body, groups=()).status == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status_map": {"installed": {"workflow_id": 1, "active_stage_id": 9}}}, "status_map"),
        ({"stage_map": {"7": "done"}}, "stage_map"),
        ({"stage_map": {"seven": "scheduled"}}, "stage_map"),
        ({"stage_map": {"-7": "scheduled"}}, "stage_map"),
        ({"status_map": {"scheduled": {"workflow_id": 1, "active_stage_id": 7.5}}}, "status_map"),
        ({"status_map": {"scheduled": {"workflow_id": -1, "active_stage_id": 7}}}, "status_map"),
        ({"max_retries": -1}, "max_retries"),
        ({"api_timeout_s": 0}, "api_timeout_s"),
        ({"is_active": "yes"}, "is_active"),
        ({"auto_sync": True}, "auto_sync"),
        ({"base_url": "ftp://opensolar"}, "base_url"),
    ],
)
def test_a_config_put_out_of_bounds_is_a_400_naming_the_field(
    fresh: SyncStack, change: dict[str, Any], field: str
) -> None:
    answer = call("PUT", "/opensolar/config", body=change)
    assert answer.status == 400, answer.body
    assert any(detail["field"].startswith(field) for detail in answer.body["details"]), answer.body


def test_the_stats_follow_the_syncs(fresh: SyncStack) -> None:
    before = call("GET", "/opensolar/stats").body
    synced_request(fresh)
    failed_request(fresh)
    fresh.installation_request(queue=False)
    after = call("GET", "/opensolar/stats").body
    assert set(after) >= {
        "sync_success_rate",
        "avg_sync_ms",
        "webhook_errors_24h",
        "failed_syncs",
        "retries_exhausted",
        "synced",
        "pending",
    }
    assert after["synced"] == before["synced"] + 1
    assert after["failed_syncs"] == before["failed_syncs"] + 1
    assert after["pending"] == before["pending"] + 1
    assert 0 < after["sync_success_rate"] <= 1
    assert after["avg_sync_ms"] > 0
    assert after["webhook_errors_24h"] == 0
