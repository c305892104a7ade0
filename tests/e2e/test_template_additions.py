"""Resources added to the template later (a function with a public route, a queue source, schedules) just work."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.aws.moto_server import FAKE_CREDENTIALS
from local.aws.template import ROOT, load_template
from local.stack_process import StackProcess
from tests.e2e.conftest import wait_until

PROBE_HANDLER = """
import json
import os


def handler(event, context):
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(json.dumps(event) + "\\n")
    if "requestContext" in event:
        seen = {"event": event, "queue_url": os.environ["PROBE_QUEUE_URL"], "function": context.function_name}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(seen)}
    return {"batchItemFailures": []}
"""


def extended_template(workdir: Path) -> Path:
    """template.yaml (paths made absolute) plus a probe function with a public route, a queue and two schedules."""
    template = load_template()
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = str(ROOT / props[key])
    (workdir / "probe").mkdir()
    (workdir / "probe" / "app.py").write_text(PROBE_HANDLER)
    template["Resources"]["ProbeQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 5}}
    template["Resources"]["ProbeFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": str(workdir / "probe"),
            "Environment": {
                "Variables": {"PROBE_LOG": str(workdir / "probe.log"), "PROBE_QUEUE_URL": {"Ref": "ProbeQueue"}}
            },
            "Events": {
                "Public": {
                    "Type": "HttpApi",
                    "Properties": {
                        "ApiId": {"Ref": "HttpApi"},
                        "Method": "POST",
                        "Path": "/probe/{proxy+}",
                        "Auth": {"Authorizer": "NONE"},
                    },
                },
                "FromQueue": {
                    "Type": "SQS",
                    "Properties": {
                        "Queue": {"Fn::GetAtt": ["ProbeQueue", "Arn"]},
                        "BatchSize": 5,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    },
                },
                "Hourly": {
                    "Type": "Schedule",
                    "Properties": {"Schedule": "rate(1 hour)", "Input": '{"job": "hourly"}'},
                },
                "Daily": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 day)"}},
            },
        },
    }
    path = workdir / "template.json"
    path.write_text(json.dumps(template))
    return path


@pytest.fixture(scope="module")
def extended_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path]]:
    workdir = tmp_path_factory.mktemp("extended-stack")
    template = extended_template(workdir)
    stack = StackProcess(workdir / "stack.json", workdir / "stack.log", ("--template", str(template)))
    state = stack.start()
    yield state, workdir
    assert stack.stop() == 0, stack.log_tail()


def probe_events(workdir: Path) -> list[dict[str, Any]]:
    log = workdir / "probe.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


def test_a_new_public_route_reaches_its_function_with_the_templates_environment(
    extended_stack: tuple[dict[str, Any], Path],
) -> None:
    state, _ = extended_stack
    answer = requests.post(f"{state['api_url']}/probe/a/b?x=1", json={"hello": "probe"}, timeout=10)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    assert seen["event"]["routeKey"] == "POST /probe/{proxy+}"
    assert seen["event"]["pathParameters"] == {"proxy": "a/b"}
    assert "authorizer" not in seen["event"]["requestContext"]
    assert seen["queue_url"] == state["resources"]["ProbeQueue"]
    assert seen["function"] == state["functions"]["ProbeFunction"]["name"]


def test_a_new_queue_event_source_delivers_messages_to_its_function(
    extended_stack: tuple[dict[str, Any], Path],
) -> None:
    state, workdir = extended_stack
    sqs = boto3.client(
        "sqs",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    sqs.send_message(QueueUrl=state["resources"]["ProbeQueue"], MessageBody="from the queue")

    def delivered() -> list[dict[str, Any]]:
        return [e for e in probe_events(workdir) if e.get("Records", [{}])[0].get("body") == "from the queue"]

    record = wait_until(delivered)[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(state["resources"]["ProbeQueue"].rsplit("/", 1)[1])


def test_new_schedules_are_listed_and_invoke_sends_the_schedules_event(
    extended_stack: tuple[dict[str, Any], Path],
) -> None:
    state, workdir = extended_stack
    schedules = {
        (s["kind"], s["expression"], s["input"]) for s in state["schedules"] if s["function"] == "ProbeFunction"
    }
    assert schedules == {
        ("AWS::Events::Rule", "rate(1 hour)", '{"job": "hourly"}'),
        ("AWS::Scheduler::Schedule", "rate(1 day)", None),
    }
    command = [sys.executable, "-m", "local", "invoke", "ProbeFunction", "--state-file", str(workdir / "stack.json")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603 - our own interpreter and arguments, no shell
    assert result.returncode == 0, result.stderr
    assert {"job": "hourly"} in probe_events(workdir)


def test_nothing_added_is_left_unemulated(extended_stack: tuple[dict[str, Any], Path]) -> None:
    state, _ = extended_stack
    assert state["not_emulated"] == {}
