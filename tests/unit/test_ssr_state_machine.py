"""The SSR workflow's ASL: every task calls the workflow function with a known step, retries transient errors, and
every path ends in a recorded state (Succeed after a Record* task, or Fail after MarkFailed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.ssr_stack import ASL_PATH, load_handler

EVENTS = Path(__file__).resolve().parents[2] / "events"
TRANSIENT = {
    "UpstreamUnavailable",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def states_of(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state, those inside Parallel branches included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found |= states_of(branch)
    return found


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    return dict(json.loads(ASL_PATH.read_text()))


def test_every_task_invokes_the_workflow_function_with_a_step_it_dispatches(asl: dict[str, Any]) -> None:
    # given the workflow function's dispatch table
    steps = load_handler("ssr_workflow").STEPS
    # when every Task state is read
    tasks = {name: state for name, state in states_of(asl).items() if state["Type"] == "Task"}
    # then each calls that function through lambda:invoke with a known step, and every step is used
    assert {state["Resource"] for state in tasks.values()} == {"arn:aws:states:::lambda:invoke"}
    assert {state["Parameters"]["FunctionName"] for state in tasks.values()} == {"${SsrWorkflowFunctionArn}"}
    used = {state["Parameters"]["Payload"]["step"] for state in tasks.values()}
    assert used == set(steps)


def test_every_task_retries_throttling_and_transient_lambda_errors_with_backoff(asl: dict[str, Any]) -> None:
    for name, state in states_of(asl).items():
        if state["Type"] != "Task":
            continue
        retriers = state["Retry"]
        assert {error for retrier in retriers for error in retrier["ErrorEquals"]} >= TRANSIENT, name
        assert all(retrier["BackoffRate"] > 1 and retrier["MaxAttempts"] >= 3 for retrier in retriers), name


def test_every_error_is_caught_into_mark_failed_which_ends_in_a_fail_state(asl: dict[str, Any]) -> None:
    top = asl["States"]
    for name, state in top.items():
        if state["Type"] not in {"Task", "Parallel"}:
            continue
        catchers = state["Catch"]
        assert catchers[0]["ErrorEquals"] == ["States.ALL"], name
        expected = "Failed" if name == "MarkFailed" else "MarkFailed"
        assert catchers[0]["Next"] == expected, name
    assert top["MarkFailed"]["Next"] == "Failed"
    assert top["Failed"]["Type"] == "Fail"


def successors(state: dict[str, Any]) -> set[str]:
    targets = {state.get("Next"), state.get("Default")}
    targets |= {choice["Next"] for choice in state.get("Choices", [])}
    targets |= {catcher["Next"] for catcher in state.get("Catch", [])}
    return {target for target in targets if target}


def test_every_state_is_reachable_and_every_success_follows_a_task_that_records_the_outcome(
    asl: dict[str, Any],
) -> None:
    top = asl["States"]
    reachable, frontier = {asl["StartAt"]}, [asl["StartAt"]]
    while frontier:
        for target in successors(top[frontier.pop()]) - reachable:
            reachable.add(target)
            frontier.append(target)
    assert reachable == set(top)
    succeed = {name for name, state in top.items() if state["Type"] == "Succeed"}
    recorded_by = {state["Next"]: name for name, state in top.items() if state.get("Next") in succeed}
    assert recorded_by == {"Skipped": "RecordSkipped", "Flagged": "FlagOrder", "Created": "RecordOutcome"}


def test_the_fulfilment_branches_are_the_four_side_effects(asl: dict[str, Any]) -> None:
    branches = [branch["StartAt"] for branch in asl["States"]["Fulfil"]["Branches"]]
    assert branches == ["GrantPortalAccess", "SendConfirmation", "NotifyStaff", "QueueOpenSolarSync"]


def test_each_sample_task_input_names_the_step_of_its_file() -> None:
    steps = load_handler("ssr_workflow").STEPS
    samples = sorted(EVENTS.glob("ssr_*.json"))
    assert {path.stem.removeprefix("ssr_") for path in samples} == set(steps)
    for path in samples:
        assert json.loads(path.read_text())["step"] == path.stem.removeprefix("ssr_")


def test_each_sample_task_input_has_exactly_the_fields_the_state_machine_passes_its_step(asl: dict[str, Any]) -> None:
    # given the Payload each Task builds (a "key.$" is filled from the state, so its field is "key")
    passed: dict[str, set[str]] = {}
    for state in states_of(asl).values():
        if state["Type"] == "Task":
            payload = state["Parameters"]["Payload"]
            passed[payload["step"]] = {key.removesuffix(".$") for key in payload}
    # when the sample inputs replayed by the tests are read
    samples = {path.stem.removeprefix("ssr_"): json.loads(path.read_text()) for path in EVENTS.glob("ssr_*.json")}
    # then each holds the same fields as the workflow's input to that step
    assert {step: set(sample) for step, sample in samples.items()} == passed
