"""`python -m local invoke` against the running stack, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from local.aws.template import ROOT
from local.stack_process import StackProcess
from tests.e2e.conftest import Api, wait_until
from tests.e2e.test_order_stream import order
from tests.support.http_events import http_event


def invoke(state_file: Path, function: str, event: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    command = [sys.executable, "-m", "local", "invoke", function, "--event", str(event_file)]
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments, no shell
        [*command, "--state-file", str(state_file)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_invoke_runs_the_handler_with_the_functions_environment_against_the_running_stack(
    api: Api, local_stack_process: StackProcess, tmp_path: Path
) -> None:
    # given a product stored through the API
    product_id = f"E2E-INV-{uuid.uuid4().hex[:6]}"
    body = {"sku": product_id, "name": "Invoked inverter", "category": "inverter", "specs": {"rated_power_kw": 3}}
    assert api.request("PUT", f"/products/{product_id}", json=body).status_code == 201
    # when the catalog function is invoked directly with a GET event for it
    event = http_event("GET", "/products/{id}", {"id": product_id})
    result = invoke(local_stack_process.state_file, "CatalogApiFunction", event, tmp_path)
    # then it read the same table the API wrote
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["sku"] == product_id


def test_invoke_of_an_unknown_function_names_the_valid_ones(
    local_stack_process: StackProcess, local_stack: dict[str, Any], tmp_path: Path
) -> None:
    result = invoke(local_stack_process.state_file, "NoSuchFunction", {}, tmp_path)
    assert result.returncode == 2
    assert "NoSuchFunction" in result.stderr
    assert all(function in result.stderr for function in local_stack["functions"])


def test_a_workflow_started_by_an_invoked_handler_runs_in_the_up_process(
    local_stack_process: StackProcess, local_stack: dict[str, Any], aws: Callable[[str], Any], tmp_path: Path
) -> None:
    # given a stream event of an order inserted won and paid (hand-made: the table never saw it)
    order_id = f"SO-E2E-invoke-{uuid.uuid4().hex[:6]}"
    image = {name: TypeSerializer().serialize(value) for name, value in order(order_id).items()}
    record = {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": local_stack["region"],
        "eventSourceARN": local_stack["event_source_mappings"]["OrderPaidHandlerFunctionOrderBecamePaid"][
            "event_source_arn"
        ],
        "dynamodb": {
            "Keys": {"order_id": {"S": order_id}},
            "NewImage": image,
            "SequenceNumber": "900000000000000000001",
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    # when the stream handler is invoked with it
    result = invoke(local_stack_process.state_file, "OrderPaidHandlerFunction", {"Records": [record]}, tmp_path)
    # then it reported no failure and the execution it started ran to an end inside the stack's process
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"batchItemFailures": []}
    sfn = aws("stepfunctions")

    def finished() -> list[dict[str, Any]]:
        listed = sfn.list_executions(stateMachineArn=local_stack["state_machine_arn"])["executions"]
        return [e for e in listed if e["name"].startswith(f"{order_id}-") and e["status"] != "RUNNING"]

    assert len(wait_until(finished, timeout_s=30)) == 1


def test_sigterm_stops_the_stack_cleanly(tmp_path: Path) -> None:
    # given a second, separate stack
    stack = StackProcess(tmp_path / "stack.json", tmp_path / "stack.log")
    state = stack.start()
    host, port = state["api_url"].removeprefix("http://").split(":")
    # when it gets SIGTERM
    exit_code = stack.stop()
    # then it exits 0, removes its state file and no longer serves
    assert exit_code == 0, stack.log_tail()
    assert not stack.state_file.exists()
    assert "stopped" in stack.log_file.read_text()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=1):
        pass
