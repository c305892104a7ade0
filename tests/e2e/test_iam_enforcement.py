"""Least privilege proven by running: a grant the code needs, taken out of a copy of the template, fails the flow
that needs it on the local stack, with the action named; and the session's stack ran every call under a role."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.aws.moto_server import FAKE_CREDENTIALS
from local.iam.flows import leave_a_dead_execution
from local.iam.template_copy import without_action
from local.scenarios.sample_catalog import INSTALLATION_SERVICE_ID, order_line, sample_order
from local.stack_process import StackProcess

ORDER = "SO-IAM-NO-DESCRIBE"


def _api(state: dict[str, Any], method: str, path: str, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {state['staff_token']}"}
    return requests.request(method, state["api_url"] + path, json=body, headers=headers, timeout=30)


def _automation(state: dict[str, Any], order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = _api(state, "GET", f"/orders/{order_id}/service-request")
        if answer.status_code == 200 and answer.json()["automation"]["state"] != "running":
            return dict(answer.json()["automation"])
        time.sleep(0.2)
    raise AssertionError(f"the automation of {order_id} did not end")


@pytest.fixture(scope="module")
def stack_without_describe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A stack whose ProjectsApiFunction may not call states:DescribeExecution (everything else as the template)."""
    workdir = tmp_path_factory.mktemp("iam-without-describe")
    template = without_action("ProjectsApiFunction", "states:DescribeExecution", workdir / "template.json")
    stack = StackProcess(workdir / "stack.json", workdir / "stack.log", ("--template", str(template)))
    state = stack.start()
    yield stack, state, workdir
    stack.stop()


def test_a_rerun_that_must_ask_step_functions_fails_naming_the_action(stack_without_describe: Any) -> None:
    stack, state, workdir = stack_without_describe
    assert _api(state, "PUT", f"/orders/{ORDER}", sample_order(ORDER, [order_line(INSTALLATION_SERVICE_ID)])).ok
    assert _automation(state, ORDER)["state"] in ("skipped", "flagged")  # flagged: this stack has no catalog
    session = boto3.session.Session(region_name=state["region"], **{k.lower(): v for k, v in FAKE_CREDENTIALS.items()})
    dynamodb = session.client("dynamodb", endpoint_url=state["aws_endpoint_url"])
    leave_a_dead_execution(dynamodb, state, ORDER, f"{ORDER}-ghost")

    answer = _api(state, "POST", f"/orders/{ORDER}/automation/rerun")

    assert answer.status_code >= 500, answer.text  # on the real template this is 202 (tests/e2e and iam-check)
    assert stack.stop() == 0
    usage = json.loads((workdir / "iam-usage.json").read_text())
    denied = [d for d in usage["denied"] if d["function"] == "ProjectsApiFunction"]
    assert [d["action"] for d in denied] == ["states:DescribeExecution"]
    assert f":execution:{state['state_machine_arn'].rsplit(':', 1)[1]}:{ORDER}-ghost" in denied[0]["resource"]
    assert "is not authorized to perform: states:DescribeExecution" in denied[0]["message"]
    assert "is not authorized to perform: states:DescribeExecution" in Path(stack.log_file).read_text()


def test_the_session_stack_runs_function_code_under_roles(local_stack: dict[str, Any]) -> None:
    """Every deployed function has a role the stack checks its calls against."""
    assert all(function["role_arn"].startswith("arn:aws:iam::") for function in local_stack["functions"].values())
    assert local_stack["iam_usage_file"].endswith("iam-usage.json")
