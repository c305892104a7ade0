"""`python -m local up --opensolar-url URL` against an OpenSolar the stack did not start: the API user given on the
command line (or in the environment) goes into the OpenSolar secret, as an operator puts it after a deploy, and the
stack syncs against that OpenSolar with no other step; with none given, startup says that syncs will fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.opensolar_fake import FakeOpenSolar
from local.scenarios.sample_catalog import INSTALLATION_SERVICE, PRODUCTS, sample_order
from local.stack_process import StackProcess
from local.state_file import read_state
from tests.e2e.conftest import Api, wait_until

ORG_ID = 4242
USERNAME = "operator@installer.example"
PASSWORD = "an-operators-password"  # noqa: S105 - the test OpenSolar's own credential


@pytest.fixture
def their_opensolar() -> Iterator[FakeOpenSolar]:
    """An OpenSolar running on its own, with an API user the stack is not told about in advance."""
    with FakeOpenSolar(org_id=ORG_ID, username=USERNAME, password=PASSWORD) as opensolar:
        yield opensolar


def started(tmp_path: Path, extra_args: tuple[str, ...], extra_env: dict[str, str] | None = None) -> StackProcess:
    stack = StackProcess(tmp_path / "stack.json", tmp_path / "stack.log", extra_args, extra_env)
    stack.start()
    return stack


def state_of(stack: StackProcess) -> dict[str, Any]:
    return read_state(stack.state_file)


def test_the_api_user_given_on_the_command_line_syncs_against_that_opensolar(
    tmp_path: Path, their_opensolar: FakeOpenSolar
) -> None:
    # given a stack started with another OpenSolar's URL and its API user as flags
    flags = ("--opensolar-url", their_opensolar.base_url)
    stack = started(tmp_path, (*flags, "--opensolar-username", USERNAME, "--opensolar-password", PASSWORD))
    try:
        state = state_of(stack)
        api = Api(state["api_url"], state["staff_token"])
        for product in (*PRODUCTS, INSTALLATION_SERVICE):
            assert api.request("PUT", f"/products/{product['sku']}", json=product).status_code in (200, 201)
        # when a paid order is written, with no other step
        order = sample_order("SO-EXTERNAL-1")
        assert api.request("PUT", f"/orders/{order['order_id']}", json=order).status_code in (200, 201)
        # then its installation request becomes one project in that OpenSolar's org (the org its login names)
        projects = wait_until(their_opensolar.projects, timeout_s=60)
        assert len(projects) == 1
        request_id = projects[0]["identifier"]
        synced = api.request("GET", f"/opensolar/projects/{request_id}/").json()
        assert synced["sync_status"] == "synced"
        assert synced["opensolar_project_id"] == str(projects[0]["id"])
        # and stack.json names the API user but never holds its password
        assert state["opensolar_credentials"] == {"username": USERNAME}
        assert PASSWORD not in stack.state_file.read_text()
    finally:
        assert stack.stop() == 0, stack.log_tail()


def test_the_api_user_may_come_from_the_environment(tmp_path: Path, their_opensolar: FakeOpenSolar) -> None:
    # given the API user in OPENSOLAR_USERNAME / OPENSOLAR_PASSWORD rather than as flags
    environment = {"OPENSOLAR_USERNAME": USERNAME, "OPENSOLAR_PASSWORD": PASSWORD}
    stack = started(tmp_path, ("--opensolar-url", their_opensolar.base_url), environment)
    try:
        # when staff read OpenSolar live through the stack (the registration reads the org's webhooks)
        state = state_of(stack)
        api = Api(state["api_url"], state["staff_token"])
        answer = api.request("PUT", "/opensolar/webhook-registration")
        # then the call signed in with that user: the webhook is registered in that OpenSolar
        assert answer.status_code == 200, answer.text
        assert [hook["endpoint"] for hook in their_opensolar.list_webhooks()] == [answer.json()["endpoint"]]
        assert "No OpenSolar API user given" not in stack.log_file.read_text()
    finally:
        assert stack.stop() == 0, stack.log_tail()


def test_without_an_api_user_startup_says_that_syncs_fail_until_the_secret_holds_one(
    tmp_path: Path, their_opensolar: FakeOpenSolar
) -> None:
    # given no API user, neither as flags nor in the environment
    environment = {"OPENSOLAR_USERNAME": "", "OPENSOLAR_PASSWORD": ""}
    # when the stack starts against another OpenSolar
    stack = started(tmp_path, ("--opensolar-url", their_opensolar.base_url), environment)
    try:
        # then its startup output says so, and how to give one
        log = wait_until(lambda: "Warning:" in stack.log_file.read_text() and stack.log_file.read_text())
        assert "every sync fails" in log
        assert "--opensolar-username" in log
        assert "OPENSOLAR_PASSWORD" in log
    finally:
        assert stack.stop() == 0, stack.log_tail()
