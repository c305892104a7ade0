"""`make demo`, OpenSolar in: our webhook registered through the API, a contract signed in OpenSolar moving our
installation request within seconds, a replayed and an older delivery changing nothing, our own status change
reaching OpenSolar once (its echo ignored), and the daily catch-up."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from local.scenarios.demo.client import heading, short_json
from local.scenarios.demo.context import PAID_ORDER, DemoContext, pick, show
from local.scenarios.demo.opensolar_out import fake_opensolar, invoke_function

STAGE_MAP = {"8": "in_progress", "9": "in_progress", "10": "completed", "11": "cancelled"}
STATUS_MAP = {
    "scheduled": {"workflow_id": 1, "active_stage_id": 7},
    "in_progress": {"workflow_id": 1, "active_stage_id": 9},
    "completed": {"workflow_id": 1, "active_stage_id": 10},
}
PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
CONTRACT_SIGNED = 7  # the fake's stage ids, as an installer's OpenSolar org would have them


def _project_of(demo: DemoContext) -> tuple[str, int]:
    view = demo.api.call("GET", f"/orders/{PAID_ORDER}/service-request", show=lambda v: pick(v["ssr"], "ssr_id"))
    request_id = str(((view or {}).get("installation_request") or {}).get("id"))
    project = demo.api.call("GET", f"/opensolar/projects/{request_id}", show=lambda p: pick(p, "status", "sync_status"))
    return request_id, int((project or {}).get("opensolar_project_id") or 0)


def _wait_for_status(demo: DemoContext, request_id: str, status: str) -> float:
    started = time.monotonic()
    demo.api.wait_for(f"/opensolar/projects/{request_id}", lambda p: p["status"] == status, why=f"it is {status}")
    return time.monotonic() - started


def _deliveries(demo: DemoContext, project_id: int) -> list[dict[str, Any]]:
    return [d for d in fake_opensolar(demo, "deliveries") if d["body"].get("model_id") == project_id]


def _post(demo: DemoContext, body: dict[str, Any], headers: dict[str, str]) -> Any:
    url = f"{demo.stack['api_url']}/opensolar/webhook/"
    print(f"\n→ POST /opensolar/webhook/   {short_json(body)}")
    answer = requests.post(url, json=body, headers=headers, timeout=10)
    print(f"← {answer.status_code} {answer.text}")
    return answer.json()


def opensolar_in(demo: DemoContext) -> None:
    api = demo.api
    heading("OpenSolar in (a): our webhook, registered through the API")
    print("Staff map OpenSolar's stages to our statuses and back (PUT /opensolar/config), then register our webhook:")
    print("our public URL, the project fields we act on, and the shared secret as a custom header.")
    config = api.call("GET", "/opensolar/config", show=lambda c: pick(c, "stage_map", "status_map")) or {}
    mapped = {**config, "stage_map": STAGE_MAP, "status_map": STATUS_MAP}
    api.call("PUT", "/opensolar/config", mapped, show=lambda c: pick(c, "stage_map", "status_map"))
    registration = api.call("PUT", "/opensolar/webhook-registration", why="registered in OpenSolar") or {}
    api.verify(registration.get("endpoint") == f"{demo.stack['api_url']}/opensolar/webhook/", "at this API's URL")

    heading("OpenSolar in (b): the contract is signed in OpenSolar")
    request_id, project_id = _project_of(demo)
    print(f"\n  In OpenSolar, someone moves project {project_id} to stage {CONTRACT_SIGNED}, 'contract signed'.")
    fake_opensolar(demo, f"projects/{project_id}/stage", {"active_stage_id": CONTRACT_SIGNED})
    took = _wait_for_status(demo, request_id, "scheduled")
    api.verify(took < 10, f"our installation request {request_id} became scheduled {took:.1f} s later")
    api.call(
        "GET",
        f"/opensolar/projects/{request_id}",
        show=lambda p: pick(p, "status", "opensolar_stage", "contract_signed_at"),
    )
    delivered = _deliveries(demo, project_id)
    last = delivered[-1]
    show("the delivery", {"event_key": f"Project:{project_id}:{last['body']['event_id']}", "status": last["status"]})

    heading("OpenSolar in (c): the same delivery again, and an older one")
    replay = _post(demo, last["body"], last["headers"])
    api.verify(replay == {"status": "duplicate"}, "the same delivery again is a duplicate, applied once")
    older = {**last["body"], "event_id": last["body"]["event_id"] + 500_000, "timestamp": "1700000000"}
    older["fields"] = {**older["fields"], "stage": 0, "workflow": {"workflow_id": 1, "active_stage_id": 2}}
    api.verify(_post(demo, older, last["headers"]) == {"status": "accepted"}, "an older one is taken...")
    key = f"Project:{project_id}:{older['event_id']}"
    entry = api.wait_for(
        "/opensolar/webhook-logs?status=processed&limit=100",
        lambda page: any(item["event_key"] == key for item in page["items"]),
        why="it is processed",
    )
    detail = next((item.get("detail") for item in (entry or {}).get("items", []) if item["event_key"] == key), "")
    show("what processing did", detail)
    api.call(
        "GET",
        f"/opensolar/projects/{request_id}",
        check=lambda p: p["status"] == "scheduled" and p["opensolar_stage"]["active_stage_id"] == CONTRACT_SIGNED,
        why="...and changes nothing: older than the state we hold",
        show=lambda p: pick(p, "status", "opensolar_stage"),
    )

    heading("OpenSolar in (d): from our side, the installation is under way")
    writes = fake_opensolar(demo, "stats")["calls"].get(PATCH_PROJECT, 0)
    body = {"status": "in_progress", "installation_date": "2026-12-10", "note": "Crew of three booked."}
    api.call(
        "PATCH", f"/installation-requests/{request_id}", body, why="staff move it", show=lambda r: pick(r, "status")
    )
    stage = _wait_for_stage(demo, project_id, 9)
    api.verify(stage == 9, "the stage arrived in OpenSolar (status_map: in_progress → stage 9)")
    time.sleep(2)  # OpenSolar's webhook about our own write comes back meanwhile
    echo = [
        d for d in _deliveries(demo, project_id) if d["body"]["fields"].get("workflow", {}).get("active_stage_id") == 9
    ]
    show("OpenSolar's echo", [d["status"] for d in echo])
    after = fake_opensolar(demo, "stats")["calls"].get(PATCH_PROJECT, 0)
    api.verify(after == writes + 1, "exactly one write reached OpenSolar; the echo pushed nothing back")
    api.call(
        "GET",
        f"/orders/{PAID_ORDER}/service-request",
        check=lambda v: v["installation_request"]["status"] == "in_progress",
        why="still in_progress, with an audit entry per change",
        show=lambda v: [entry["detail"][:80] for entry in v["audit"] if entry["action"] == "status_changed"],
    )

    heading("OpenSolar in (e): the daily catch-up")
    print("On AWS a daily schedule runs it; here: python -m local invoke OpenSolarFetchFunction")
    print(f"  {json.dumps(invoke_function(demo, 'OpenSolarFetchFunction'))}")
    api.call("GET", "/opensolar/stats", why="sync and webhook health")


def _wait_for_stage(demo: DemoContext, project_id: int, stage_id: int, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        stage = int(fake_opensolar(demo, f"projects/{project_id}")["workflow"]["active_stage_id"])
        if stage == stage_id or time.monotonic() > deadline:
            return stage
        time.sleep(0.2)


def _stage_of(body: dict[str, Any]) -> Any:
    return body.get("fields", {}).get("workflow", {}).get("active_stage_id")
