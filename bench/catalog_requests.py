"""Latency (in-process, on moto) and DynamoDB calls per catalog request: what a request costs."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.api_calls import counted_api_calls
from local.runtime.function_code import load_function
from local.scenarios.sample_catalog import (
    BATTERY,
    BATTERY_ID,
    COMPATIBLE_BATTERY,
    COMPLETE_SYSTEM,
    INVERTER,
    INVERTER_ID,
    PACKAGE_ID,
    PANEL,
)
from tests.support.aws import moto_tables
from tests.support.http_events import http_event, invoke

RUNS = 30

_REQUESTS: dict[str, tuple[str, str, dict[str, str] | None, Any]] = {
    "GET /products/{id}": ("GET", "/products/{id}", {"id": INVERTER_ID}, None),
    "PUT /products/{id}": ("PUT", "/products/{id}", {"id": INVERTER_ID}, INVERTER),
    "POST check-products": (
        "POST",
        "/products/compatibility/check-products",
        None,
        {"product_a_id": INVERTER_ID, "product_b_id": BATTERY_ID},
    ),
    "POST validate-package": ("POST", "/products/compatibility/validate-package", None, {"package_id": PACKAGE_ID}),
}


def measure() -> dict[str, dict[str, Any]]:
    """Median/p95 ms and AWS calls per request for the catalog's main routes."""
    handler = load_function("catalog_api").handler
    results: dict[str, dict[str, Any]] = {}
    with moto_tables():
        for product in (INVERTER, BATTERY, PANEL):
            invoke(handler, http_event("PUT", "/products/{id}", {"id": product["sku"]}, body=product))
        invoke(handler, http_event("PUT", "/packages/{id}", {"id": PACKAGE_ID}, body=COMPLETE_SYSTEM))
        invoke(handler, http_event("POST", "/products/compatibility/rules", body=COMPATIBLE_BATTERY))
        for name, (method, route, params, body) in _REQUESTS.items():
            samples = []
            with counted_api_calls() as calls:
                for _ in range(RUNS):
                    started = time.perf_counter()
                    answer = invoke(handler, http_event(method, route, params, body=body))
                    samples.append((time.perf_counter() - started) * 1000)
                    assert answer.status < 300, (name, answer)
            samples.sort()
            results[name] = {
                "median_ms": round(statistics.median(samples), 2),
                "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
                "aws_calls_per_request": {op: count / RUNS for op, count in sorted(calls.items())},
            }
    return results
