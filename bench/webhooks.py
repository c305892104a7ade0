"""OpenSolar in, measured: what acknowledging a webhook delivery costs (AWS calls, the receiver's handler time in
process on moto and through the local stack's HTTP API), and what processing one costs."""

from __future__ import annotations

import json
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
    from tests.support.ssr_stack import HANDLER_RUNS

    with sync_stack() as stack:
        request_id = stack.installation_request()
        stack.deliver()
        project_id = int(stack.link(request_id)["opensolar_project_id"])
        stack.webhook(_delivery(project_id, request_id, 0))  # the container's first delivery reads the secret
        stack.process_webhooks()
        receiver_ms: list[float] = []
        calls: Counter[str] = Counter()
        units: Counter[str] = Counter()
        for event_id in range(1, DELIVERIES + 1):
            stack.ssr.api_calls.reset()
            started = time.perf_counter()
            assert stack.webhook(_delivery(project_id, request_id, event_id)).body == {"status": "accepted"}
            receiver_ms.append((time.perf_counter() - started) * 1000)
            calls.update(stack.ssr.api_calls.calls)
            units.update(stack.ssr.api_calls.units)
        stack.ssr.api_calls.reset()
        HANDLER_RUNS.clear()
        started = time.perf_counter()
        stack.process_webhooks()
        processing_s = time.perf_counter() - started
        processor_calls = dict(stack.ssr.api_calls.calls)
        processor_units = dict(stack.ssr.api_calls.units)
        processor_invocations = len(HANDLER_RUNS.get("webhook_processor", []))
        floor_ms = _floor(stack, project_id)
    receiver = _percentiles(receiver_ms)
    floor = _percentiles(floor_ms)
    return {
        "deliveries": DELIVERIES,
        "receiver_handler": receiver,
        "floor_handler_same_calls_bare_boto3": floor,
        "receiver_over_floor_p50_ms": round(receiver["p50_ms"] - floor["p50_ms"], 2),
        "aws_calls_per_delivery_acknowledged": {op: n / DELIVERIES for op, n in sorted(calls.items())},
        "dynamodb_request_units_per_delivery_acknowledged": {k: round(v / DELIVERIES, 2) for k, v in units.items()},
        "processor_ms_per_delivery": round(processing_s * 1000 / DELIVERIES, 2),
        "processor_invocations_per_delivery": round(processor_invocations / DELIVERIES, 3),
        "processor_aws_calls_per_delivery": {op: round(n / DELIVERIES, 2) for op, n in sorted(processor_calls.items())},
        "processor_dynamodb_request_units_per_delivery": {
            k: round(v / DELIVERIES, 2) for k, v in processor_units.items()
        },
    }


def _floor(stack: Any, project_id: int) -> list[float]:
    """The floor handler on the same moto, warm, over the same number of deliveries."""
    from bench.floor import FloorHandler

    handler = FloorHandler(stack.ssr.tables["IntegrationTable"], stack.webhook_queue_url)
    samples = []
    for event_id in range(DELIVERIES + 1):
        event = {"body": json.dumps(_delivery(project_id, "IR-FLOOR", event_id))}
        started = time.perf_counter()
        handler(event)
        if event_id:  # the first call warms the clients, as the receiver's warm-up delivery did
            samples.append((time.perf_counter() - started) * 1000)
    return samples


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
