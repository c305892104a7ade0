"""What one paid order costs: Step Functions state transitions, AWS API calls made by the handlers, execution time.

Reuse for the closing note (prints JSON):
    .venv/bin/python -m tests.support.ssr_metrics
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _transitions(history: list[dict[str, Any]]) -> int:
    """Billed state transitions: every state entered, plus every retry of a task (a new TaskScheduled)."""
    entered = sum(1 for event in history if event["type"].endswith("StateEntered"))
    retries = sum(1 for event in history if event["type"] == "TaskScheduled") - sum(
        1 for event in history if event["type"] == "TaskStateEntered"
    )
    return entered + retries


def measure_paid_order() -> dict[str, Any]:
    """Run one warm-up order, then measure a second paid order from stream delivery to the workflow's end.

    `aws_api_calls` counts botocore API calls (the `before-call` point) made inside order_paid_handler and the
    ssr_workflow steps, by `service.Operation`; Step Functions' own Lambda invocations are not handler calls.
    `execution_ms` is first to last history event (in-process moto: a floor, not Lambda's latency).
    """
    from tests.support.ssr_stack import (
        HANDLER_RUNS,
        new_order_id,
        put_order,
        run_paid_order,
        seed_catalog,
        ssr_stack,
    )

    with ssr_stack() as stack:
        seed_catalog()
        run_paid_order(stack, new_order_id(), whatsapp_id="263770009999")
        order_id = new_order_id()
        put_order(order_id)
        records = stack.stream_records()
        stack.api_calls.reset()
        HANDLER_RUNS.clear()
        started = time.perf_counter()
        stack.deliver(records)
        execution = stack.wait_for_order(order_id)
        wall_ms = (time.perf_counter() - started) * 1000
        calls = dict(sorted(stack.api_calls.calls.items()))
        units = {name: round(value, 1) for name, value in sorted(stack.api_calls.units.items())}
        runs = {function: list(durations) for function, durations in HANDLER_RUNS.items()}
        history = stack.history(execution["executionArn"])
    span = history[-1]["timestamp"] - history[0]["timestamp"]
    return {
        "status": execution["status"],
        "state_transitions": _transitions(history),
        "history_events": len(history),
        "aws_api_calls": calls,
        "aws_api_calls_total": sum(calls.values()),
        "dynamodb_request_units": units,
        "lambda_invocations": {function: len(durations) for function, durations in sorted(runs.items())},
        "lambda_handler_ms_total": round(sum(sum(durations) for durations in runs.values()), 1),
        "execution_ms": round(span.total_seconds() * 1000, 1),
        "stream_to_done_ms": round(wall_ms, 1),
    }


def main() -> None:
    os.chdir(ROOT)
    import tests.conftest  # noqa: F401  - the test environment: fake credentials, region, table names

    print(json.dumps(measure_paid_order(), indent=2))


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT)]
    main()
