"""Control routes and their Python twins: reset, stats, UI edits, workflow, flush — and the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from local.opensolar_fake import FakeOpenSolar
from tests.contract.support import PASSWORD, PROJECTS, USERNAME, WEBHOOKS, Api, WebhookReceiver, register_webhook

ROOT = Path(__file__).resolve().parents[2]


def test_reset_forgets_projects_webhooks_deliveries_faults_and_counts(api: Api, receiver: WebhookReceiver) -> None:
    # given
    register_webhook(api, receiver.url)
    api.create_project()
    api.control("deliveries/flush")
    api.control("faults", {"rate_500": 0.5, "routes": "writes"})
    # when
    assert api.control("reset") == {"reset": True}
    # then the token survives, everything else is fresh
    assert api.get(PROJECTS).json() == []
    assert api.get(WEBHOOKS).json() == []
    assert requests.get(f"{api.base_url}/_control/deliveries", timeout=5).json() == []
    assert all(api.post(PROJECTS, json={"address": "1 Main Rd"}).status_code == 201 for _ in range(5))
    assert requests.get(f"{api.base_url}/_control/stats", timeout=5).json()["total"] == 7


def test_reset_with_tokens_requires_a_new_login(api: Api) -> None:
    # when
    api.control("reset", {"tokens": True})
    # then
    assert api.get(PROJECTS).status_code == 401


def test_stats_count_api_calls_per_method_and_route(api: Api, fake: FakeOpenSolar) -> None:
    # given
    project = api.create_project()
    api.get(PROJECTS)
    api.get(f"{PROJECTS}{project['id']}/")
    api.patch(f"{PROJECTS}{project['id']}/", json={"notes": "x"})
    api.post(PROJECTS.rstrip("/"), json={}, allow_redirects=False)
    # when
    stats = requests.get(f"{api.base_url}/_control/stats", timeout=5).json()
    # then
    assert stats["calls"] == {
        "POST /api-token-auth/": 1,
        "POST /api/orgs/{org_id}/projects/": 1,
        "GET /api/orgs/{org_id}/projects/": 1,
        "GET /api/orgs/{org_id}/projects/{project_id}/": 1,
        "PATCH /api/orgs/{org_id}/projects/{project_id}/": 1,
        "POST /api/orgs/{org_id}/projects": 1,
    }
    assert stats["statuses"]["POST /api/orgs/{org_id}/projects"] == {"301": 1}
    assert fake.call_counts() == stats["calls"]


def test_a_ui_edit_changes_the_project_and_bumps_modified_date(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    edited = api.control(f"projects/{project['id']}", {"notes": "called the customer", "stage": 2})
    # then
    fetched = api.get(f"{PROJECTS}{project['id']}/").json()
    assert fetched == edited
    assert (fetched["notes"], fetched["stage"], fetched["workflow"]["active_stage_id"]) == ("called the customer", 2, 7)
    assert fetched["modified_date"] != project["modified_date"]


def test_a_ui_edit_with_an_unknown_field_is_refused(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    response = requests.post(f"{api.base_url}/_control/projects/{project['id']}", json={"colour": "red"}, timeout=5)
    # then
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."]}


def test_a_stage_move_needs_exactly_one_of_stage_id_or_milestone(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    both = requests.post(
        f"{api.base_url}/_control/projects/{project['id']}/stage", json={"stage": 2, "active_stage_id": 7}, timeout=5
    )
    # then
    assert both.status_code == 400


def test_control_routes_read_projects_and_the_workflow_without_counting_calls(api: Api, fake: FakeOpenSolar) -> None:
    # given
    project = fake.create_project(address="1 Main Rd", active_stage_id=6)
    # when
    listed = requests.get(f"{api.base_url}/_control/projects", timeout=5).json()
    one = requests.get(f"{api.base_url}/_control/projects/{project['id']}", timeout=5).json()
    workflow = requests.get(f"{api.base_url}/_control/workflow", timeout=5).json()
    # then
    assert listed == [one] == [fake.project(project["id"])]
    assert one["stage"] == 1
    assert {"id": 7, "milestone": 2} in workflow["stages"]
    assert fake.call_counts() == {"POST /api-token-auth/": 1}


def test_a_deleted_project_is_gone_for_the_python_api(fake: FakeOpenSolar) -> None:
    # given
    project = fake.create_project(address="1 Main Rd")
    # when
    fake.delete_project(project["id"])
    # then
    assert fake.project(project["id"]) is None
    assert fake.projects() == []


def test_the_health_route_answers_with_the_org(anonymous: Api) -> None:
    # when
    health = requests.get(f"{anonymous.base_url}/_control/health", timeout=5).json()
    # then
    assert health == {"ok": True, "org_id": 1001, "base_url": anonymous.base_url}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_cli_serves_on_the_given_port_until_sigterm() -> None:
    # given
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "local.opensolar_fake", "--port", str(port), "--org-id", "2002"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603 - our own interpreter and arguments, no shell
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                health = requests.get(f"{base_url}/_control/health", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        login = requests.post(
            f"{base_url}/api-token-auth/", json={"username": USERNAME, "password": PASSWORD}, timeout=5
        )
        # when
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # then
    assert health.json()["org_id"] == 2002
    assert login.json()["org_id"] == 2002
    assert exit_code == 0
    assert process.stdout is not None
    assert f"listening on {base_url}" in process.stdout.read()
