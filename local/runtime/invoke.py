"""`python -m local invoke`: run one handler in this process against the running stack (Docker-free `sam local invoke`).

The handler runs here, with the function's environment from stack.json; whatever it causes in moto (a Step
Functions execution, a queue message) runs in the `up` process, where the workflow interpreter and pollers live.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3

from local.aws.moto_server import ACCOUNT_ID, client_environment
from local.iam.enforce import enforce_roles
from local.runtime.handlers import LAYER_DIRS, FunctionSpec, HandlerRegistry
from local.stack import LOCAL_ENVIRONMENT, schedule_event
from local.state_file import read_state

EXIT_UNKNOWN_FUNCTION = 2


def function_spec(state: dict[str, Any], logical_id: str) -> FunctionSpec:
    """The spec of one function from stack.json."""
    entry = state["functions"][logical_id]
    return FunctionSpec(
        logical_id=logical_id,
        name=entry["name"],
        arn=entry["arn"],
        memory_mb=entry["memory_mb"],
        timeout_s=entry["timeout_s"],
        module_file=Path(entry["module_file"]),
        code_dir=Path(entry["code_dir"]),
        function=entry["function"],
        environment=entry["environment"],
        role_arn=entry.get("role_arn", ""),
    )


def load_event(state: dict[str, Any], logical_id: str, event_file: Path | None) -> Any:
    """The event file's content; else the schedule's event for a scheduled function; else `{}`."""
    if event_file is not None:
        return json.loads(event_file.read_text())
    scheduled = schedule_event(state, logical_id)
    return {} if scheduled is None else scheduled


def run(state_file: Path, logical_id: str, event_file: Path | None) -> int:
    """Invoke and print the result as JSON; 1 if the handler raised or no stack runs, 2 for an unknown function."""
    try:
        state = read_state(state_file)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    if logical_id not in state["functions"]:
        valid = ", ".join(sorted(state["functions"]))
        print(f"unknown function {logical_id!r}; valid logical ids: {valid}", file=sys.stderr)
        return EXIT_UNKNOWN_FUNCTION
    spec = function_spec(state, logical_id)
    os.environ.update(client_environment(state["aws_endpoint_url"], state["region"]))
    os.environ.update(dict(spec.environment) | LOCAL_ENVIRONMENT)
    event = load_event(state, logical_id, event_file)
    # The handler runs under its role here too; what it used joins the stack's own record (iam-usage*.json).
    session = boto3.session.Session(region_name=state["region"])
    iam = enforce_roles({logical_id: spec.role_arn}, state["region"], ACCOUNT_ID, session.client)
    try:
        # Logs and metrics go to stderr, as with `sam local invoke`; stdout carries only the result.
        with contextlib.redirect_stdout(sys.stderr):
            layer_dirs = tuple(Path(path) for path in state.get("layer_dirs", [])) or LAYER_DIRS
            result = HandlerRegistry({logical_id: spec}, layer_dirs, iam.acting_as).invoke(logical_id, event)
    except Exception as error:  # reported like the Lambda runtime does, as a JSON error
        print(json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}, indent=2))
        return 1
    finally:
        beside = Path(state.get("iam_usage_file") or state_file)  # the stack's own folder, where its record goes
        iam.write(beside.with_name(f"iam-usage-invoke-{os.getpid()}.json"))
    print(json.dumps(result, indent=2))
    return 0
