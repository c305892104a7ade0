"""OpenSolar in, measured: what acknowledging a webhook delivery costs (AWS calls, the receiver's handler time in
process on moto and through the local stack's HTTP API), and what processing one costs."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from local.stack_process import StackProcess

DELIVERIES = 200


def _delivery(project_id: int, request_id: str, event_id: int) -> dict[str, Any]:
    from tests.support.opensolar_stack import project_delivery  # the layer reads table names set by bench/__main__

    return project_delivery(
        project_id, request_id, stage_id=7, milestone=2, at=1795000000 + event_id, event_id=event_id
    )


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
    }


def _in_process() -> dict[str, Any]:
    from tests.support.opensolar_stack import sync_stack  # the layer reads table names set by bench/__main__

    with sync_stack() as stack:
        request_id = stack.installation_request()
        stack.deliver()
        project_id = int(stack.link(request_id)["opensolar_project_id"])
        stack.webhook(_delivery(project_id, request_id, 0))  # the container's first delivery reads the secret
        stack.process_webhooks()
        receiver_ms: list[float] = []
        calls: Counter[str] = Counter()
        for event_id in range(1, DELIVERIES + 1):
            stack.ssr.api_calls.reset()
            started = time.perf_counter()
            assert stack.webhook(_delivery(project_id, request_id, event_id)).body == {"status": "accepted"}
            receiver_ms.append((time.perf_counter() - started) * 1000)
            calls.update(stack.ssr.api_calls.calls)
        stack.ssr.api_calls.reset()
        started = time.perf_counter()
        stack.process_webhooks()
        processing_s = time.perf_counter() - started
        processor_calls = dict(stack.ssr.api_calls.calls)
    return {
        "deliveries": DELIVERIES,
        "receiver_handler": _percentiles(receiver_ms),
        "aws_calls_per_delivery_acknowledged": {op: n / DELIVERIES for op, n in sorted(calls.items())},
        "processor_ms_per_delivery": round(processing_s * 1000 / DELIVERIES, 2),
        "processor_aws_calls_per_delivery": {op: round(n / DELIVERIES, 2) for op, n in sorted(processor_calls.items())},
    }


def _through_the_local_stack() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        process = StackProcess(Path(scratch) / "stack.json", Path(scratch) / "stack.log")
        stack = process.start()
        try:
            url = f"{stack['api_url']}/opensolar/webhook/"
            headers = {"X-OpenSolar-Secret": stack["webhook_secret"]}
            session = requests.Session()
            session.post(url, json=_delivery(1, "IR-BENCH0001", 0), headers=headers, timeout=10)  # warm
            samples = []
            for event_id in range(1, DELIVERIES + 1):
                started = time.perf_counter()
                answer = session.post(url, json=_delivery(1, "IR-BENCH0001", event_id), headers=headers, timeout=10)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.json() == {"status": "accepted"}, answer.text
        finally:
            process.stop()
    return {"deliveries": DELIVERIES, "http_round_trip_to_the_local_api": _percentiles(samples)}


def measure() -> dict[str, Any]:
    return {"in_process_on_moto": _in_process(), "local_stack": _through_the_local_stack()}
