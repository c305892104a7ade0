"""OpenSolar out, measured on the in-process stack with the fake OpenSolar (tests/support/opensolar_stack.py).

- normal case: OpenSolar calls, AWS calls and handler time per synced installation request;
- under faults: 50 requests with 20 % 429s, 10 % 500s and 5 % timeouts (logins and lookups included);
- a burst of 30 with OpenSolar's real limit (10 writes in any 60 s) and the pacer at the same rate: 429s and time.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.opensolar_stack import SyncStack

NORMAL_REQUESTS = 10
FAULTY_REQUESTS = 50
BURST = 30
_LOGIN = "POST /api-token-auth/"


def _opensolar_calls(stack: SyncStack) -> int:
    return sum(count for route, count in stack.fake.call_counts().items() if route != _LOGIN)


def _normal_case(stack: SyncStack) -> dict[str, Any]:
    stack.fake.reset()
    stack.new_queues()
    stack.configure()
    requests = [stack.installation_request() for _ in range(NORMAL_REQUESTS)]
    stack.deliver()  # the first one logs in: a container's token lasts (7 days, or forever for a machine user)
    handler_ms: list[float] = []
    aws_calls: Counter[str] = Counter()
    units: Counter[str] = Counter()
    calls_before = _opensolar_calls(stack)
    for _ in requests[1:]:
        stack.ssr.api_calls.reset()
        started = time.perf_counter()
        stack.deliver()
        handler_ms.append((time.perf_counter() - started) * 1000)
        aws_calls.update(stack.ssr.api_calls.calls)
        units.update(stack.ssr.api_calls.units)
    measured = len(requests) - 1
    return {
        "requests": measured,
        "opensolar_calls_per_request": (_opensolar_calls(stack) - calls_before) / measured,
        "opensolar_calls": stack.fake.call_counts(),
        "aws_calls_per_request": {op: round(count / measured, 2) for op, count in sorted(aws_calls.items())},
        "aws_calls_per_request_total": round(sum(aws_calls.values()) / measured, 2),
        "dynamodb_request_units_per_request": {k: round(v / measured, 2) for k, v in sorted(units.items())},
        "handler_ms_median_in_process": round(statistics.median(handler_ms), 1),
    }


def _under_faults(stack: SyncStack) -> dict[str, Any]:
    from tests.support.ssr_stack import EVENTS, invoke

    stack.fake.reset()
    stack.new_queues()
    stack.configure(api_timeout_s=0.5, throttle_backoff_s=0.5)
    requests = [stack.installation_request() for _ in range(FAULTY_REQUESTS)]
    stack.fake.set_faults(rate_429=0.2, rate_500=0.1, rate_slow=0.05, slow_ms=900, seed=20261129, routes="all")
    started = time.perf_counter()
    hourly_runs = 0
    while True:
        stack.drain(timeout_s=300)
        if all(stack.link(request)["sync_status"] == "synced" for request in requests) or hourly_runs == 3:
            break
        hourly_runs += 1
        invoke("retry_failed", json.loads((EVENTS / "retry_failed_hourly.json").read_text()))  # the hourly run
    elapsed = time.perf_counter() - started
    statuses = stack.fake.stats()["statuses"]
    answers: Counter[str] = Counter()
    for counts in statuses.values():
        answers.update(counts)
    per_identifier = Counter(project["identifier"] for project in stack.fake.projects())
    synced = sum(1 for request in requests if stack.link(request)["sync_status"] == "synced")
    return {
        "requests": FAULTY_REQUESTS,
        "synced": synced,
        "duplicates": sum(count - 1 for count in per_identifier.values()),
        "left_in_sync_dlq": stack.in_dlq(),
        "hourly_retry_runs_needed": hourly_runs,
        "opensolar_calls_per_synced_request": round(stack.fake.stats()["total"] / max(1, synced), 2),
        "opensolar_answers": dict(answers),
        "seconds_with_shortened_backoffs": round(elapsed, 1),
    }


def _burst_at_the_real_limit(stack: SyncStack) -> dict[str, Any]:
    stack.fake.reset()
    stack.new_queues()
    stack.configure()
    requests = [stack.installation_request() for _ in range(BURST)]
    started = time.perf_counter()
    stack.drain(timeout_s=600)
    elapsed = time.perf_counter() - started
    writes = stack.fake.stats()["statuses"]["POST /api/orgs/{org_id}/projects/"]
    return {
        "requests": BURST,
        "opensolar_write_limit": f"10 per {stack.window_s:g} s",
        "synced": sum(1 for request in requests if stack.link(request)["sync_status"] == "synced"),
        "429s": writes.get("429", 0),
        "seconds_until_all_synced": round(elapsed, 1),
    }


def measure() -> dict[str, Any]:
    # Imported here: the layer reads its table names from the environment bench/__main__ sets first.
    from tests.support.opensolar_stack import sync_stack

    with sync_stack() as stack:
        normal = _normal_case(stack)
        faults = _under_faults(stack)
    with sync_stack(window_s=60.0) as stack:
        burst = _burst_at_the_real_limit(stack)
    return {"normal_case": normal, "under_faults": faults, "burst_of_30_at_opensolars_limit": burst}
