"""`make demo`, OpenSolar out: the paid order's installation request becomes a project in the (fake) OpenSolar, a
burst of orders survives OpenSolar throttling and failing, and the stats operators watch."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import requests

from local.aws.template import ROOT
from local.scenarios.demo.client import heading
from local.scenarios.demo.context import PAID_ORDER, DemoContext, pick, put_order, show, wait_for_automation
from local.scenarios.sample_catalog import sample_order

PROJECT_FIELDS = ("id", "opensolar_project_id", "sync_status", "status", "retry_count", "last_error")
BURST = 3
# The operator's tuning for the demo: OpenSolar's real limit of 10 writes a minute, but short waits after a 429 or
# a 5xx so the recovery fits in a minute (production keeps 60 s and 30 s, doubling).
DEMO_TUNING = {"throttle_backoff_s": 2.0, "retry_backoff_s": 1.0, "api_timeout_s": 5.0}


def fake_opensolar(demo: DemoContext, route: str, body: dict[str, Any] | None = None) -> Any:
    """The fake OpenSolar's control routes: what its UI would show, and the faults it injects."""
    url = f"{demo.stack['opensolar_url']}/_control/{route}"
    answer = requests.post(url, json=body, timeout=10) if body is not None else requests.get(url, timeout=10)
    answer.raise_for_status()
    return answer.json()


def _installation_request_of(demo: DemoContext, order_id: str) -> str:
    view = demo.api.call("GET", f"/orders/{order_id}/service-request", show=lambda v: v["installation_request"])
    return str((view or {}).get("installation_request", {}).get("id", "?"))


def _wait_until_synced(
    demo: DemoContext, request_id: str, timeout_s: float = 60, settled: tuple[str, ...] = ("synced",)
) -> dict[str, Any]:
    project = demo.api.wait_for(
        f"/opensolar/projects/{request_id}/",
        lambda answer: answer["sync_status"] in settled,
        why=f"{request_id} is {' or '.join(settled)}",
        timeout_s=timeout_s,
    )
    return project if isinstance(project, dict) else {}


def _show_opensolar_project(demo: DemoContext, project_id: str) -> dict[str, Any]:
    project: dict[str, Any] = fake_opensolar(demo, f"projects/{project_id}")
    print("\n  The project as OpenSolar holds it (the fake's UI view):")
    show("id, identifier", [project["id"], project["identifier"]])
    show("title", project["title"])
    show("lead source", project["lead_source"])
    show("notes", project["notes"])
    show("contacts", [f"{c['first_name']} {c['family_name']} <{c['email']}>" for c in project["contacts"]])
    show("stage", {"workflow": project["workflow"], "milestone": project["stage"]})
    return project


def _sync_log(demo: DemoContext, request_id: str) -> list[dict[str, Any]]:
    answer = demo.api.call("GET", f"/opensolar/projects/{request_id}/sync-logs", show=lambda logs: len(logs["items"]))
    entries: list[dict[str, Any]] = (answer or {}).get("items", [])
    for entry in reversed(entries):
        status = entry.get("http_status", "-")
        error = f"  {entry['error'][:70]}" if entry.get("error") else ""
        took = f"{entry['duration_ms']:>7.1f} ms"
        print(f"    {entry['at']}  {entry['operation']:<7} {entry['outcome']:<9} {status!s:>4} {took}{error}")
    return entries


def opensolar_out(demo: DemoContext) -> None:
    """The installation request as an OpenSolar project: once, under faults, and the figures operators watch."""
    api = demo.api
    heading("OpenSolar (a): the installation request becomes a project")
    print(
        "QueueOpenSolarSync put a message on SyncQueue; opensolar_sync (polled by the stack) created the project with"
    )
    print(
        "identifier = our installation request id, the customer as a contact, the site's address and the lead source."
    )
    request_id = _installation_request_of(demo, PAID_ORDER)
    project = _wait_until_synced(demo, request_id)
    show("project", pick(project, *PROJECT_FIELDS))
    in_opensolar = _show_opensolar_project(demo, str(project.get("opensolar_project_id")))
    contact = (in_opensolar["contacts"] or [{}])[0]
    api.verify(in_opensolar["identifier"] == request_id, f"OpenSolar's identifier is our id {request_id}")
    api.verify((contact.get("first_name"), contact.get("family_name")) == ("John", "Doe"), "the contact is John Doe")
    calls = fake_opensolar(demo, "stats")["calls"]
    show("OpenSolar calls", calls)
    api.verify(
        calls.get("POST /api/orgs/{org_id}/projects/") == 1 and "GET /api/orgs/{org_id}/projects/" not in calls,
        "one write and no read for the project (the login aside)",
    )
    print("\n  Its sync log:")
    _sync_log(demo, request_id)

    heading("OpenSolar (b): a burst of orders while OpenSolar throttles and fails")
    print("Operators shorten the waits for the demo (PUT /opensolar/config), then OpenSolar starts answering 30 % of")
    print(f"the writes with 429 and 30 % with 500. {BURST} more orders are paid at once. OpenSolar allows 10 writes a")
    print(
        "minute per API user, so the shared pacer lets one write out every ~6 s: this part takes about half a minute."
    )
    config = api.call("GET", "/opensolar/config", show=lambda c: pick(c, "base_url", "org_id", "write_limit"))
    api.call("PUT", "/opensolar/config", {**(config or {}), **DEMO_TUNING}, show=lambda c: pick(c, *DEMO_TUNING))
    fake_opensolar(
        demo, "faults", {"rate_429": 0.3, "rate_500": 0.3, "routes": "writes", "seed": 11, "retry_after_s": 2}
    )
    orders = [f"SO-DEMO-BURST-{n}-{uuid.uuid4().hex[:4].upper()}" for n in range(1, BURST + 1)]
    for order_id in orders:
        put_order(demo, sample_order(order_id))
    requests_made = [
        str((wait_for_automation(demo, order_id).get("installation_request") or {}).get("id")) for order_id in orders
    ]
    # A message that meets faults on all five of its deliveries is marked failed (never parked): the hourly retry
    # takes it from there, below.
    settled = [_wait_until_synced(demo, r, timeout_s=120, settled=("synced", "failed")) for r in requests_made]
    fake_opensolar(demo, "faults/clear", {})
    statuses = fake_opensolar(demo, "stats")["statuses"].get("POST /api/orgs/{org_id}/projects/", {})
    print(f"\n  OpenSolar answered the creates: {json.dumps(statuses)}")
    for request_id, project in zip(requests_made, settled, strict=True):
        outcomes = [entry["outcome"] for entry in reversed(_sync_log(demo, request_id))]
        show(request_id, f"{project.get('sync_status')} after {' → '.join(outcomes)}")
    api.verify(statuses.get("429", 0) + statuses.get("500", 0) > 0, "the faults really happened")

    heading("OpenSolar (c): the hourly retry and the figures operators watch")
    print("The hourly retry re-queues failed syncs that have retries left; on AWS its schedule runs it, here:")
    print("python -m local invoke RetryFailedFunction")
    print(f"  {json.dumps(invoke_function(demo, 'RetryFailedFunction'))}")
    projects = [_wait_until_synced(demo, request, timeout_s=90) for request in requests_made]
    everything = fake_opensolar(demo, "projects")
    copies = [sum(1 for p in everything if p["identifier"] == request) for request in requests_made]
    api.verify(all(p.get("sync_status") == "synced" for p in projects), f"all {BURST} synced")
    api.verify(copies == [1] * BURST, "one project each in OpenSolar: no duplicate")
    api.call("GET", "/opensolar/stats", why="sync health")


def invoke_function(demo: DemoContext, logical_id: str) -> Any:
    """`python -m local invoke <logical_id>` against the demo's stack (a schedule's event): its answer."""
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "stack.json"
        state.write_text(json.dumps(demo.stack))
        command = [sys.executable, "-m", "local", "invoke", logical_id, "--state-file", str(state)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - our own interpreter and arguments, no shell
    if result.returncode != 0:
        demo.api.verify(False, f"{logical_id} ran ({result.stderr.strip()[-200:]})")
        return None
    return json.loads(result.stdout)
