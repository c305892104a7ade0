"""Latency (in-process, on moto) and DynamoDB calls per catalog request: what a request costs."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.api_calls import counted_api_calls
from local.openapi import load_function
from tests.support.aws import moto_tables
from tests.support.http_events import http_event, invoke

RUNS = 30

_CATALOG = {
    "INV-5KW": {
        "sku": "INV-5KW",
        "name": "5 kW Hybrid Inverter",
        "category": "inverter",
        "specs": {"rated_power_kw": 5, "max_pv_input_kw": 6.5, "max_battery_kwh": 20, "nominal_voltage_v": 48},
    },
    "BAT-5KWH": {
        "sku": "BAT-5KWH",
        "name": "5 kWh Battery",
        "category": "battery",
        "specs": {"capacity_kwh": 5, "nominal_voltage_v": 48},
    },
    "PANEL-550W": {"sku": "PANEL-550W", "name": "550 W Panel", "category": "solar_panel", "specs": {"power_w": 550}},
}
_PACKAGE = {
    "name": "5kW Complete System",
    "system_size_kw": 5.0,
    "items": [
        {"product_id": "INV-5KW", "quantity": 1},
        {"product_id": "BAT-5KWH", "quantity": 2},
        {"product_id": "PANEL-550W", "quantity": 10},
    ],
}

_REQUESTS: dict[str, tuple[str, str, dict[str, str] | None, Any]] = {
    "GET /products/{id}": ("GET", "/products/{id}", {"id": "INV-5KW"}, None),
    "PUT /products/{id}": ("PUT", "/products/{id}", {"id": "INV-5KW"}, _CATALOG["INV-5KW"]),
    "POST check-products": (
        "POST",
        "/products/compatibility/check-products",
        None,
        {"product_a_id": "INV-5KW", "product_b_id": "BAT-5KWH"},
    ),
    "POST validate-package": ("POST", "/products/compatibility/validate-package", None, {"package_id": "PKG-5KW"}),
}


def measure() -> dict[str, dict[str, Any]]:
    """Median/p95 ms and AWS calls per request for the catalog's main routes."""
    handler = load_function("catalog_api").handler
    results: dict[str, dict[str, Any]] = {}
    with moto_tables():
        for product_id, body in _CATALOG.items():
            invoke(handler, http_event("PUT", "/products/{id}", {"id": product_id}, body=body))
        invoke(handler, http_event("PUT", "/packages/{id}", {"id": "PKG-5KW"}, body=_PACKAGE))
        invoke(
            handler,
            http_event(
                "POST",
                "/products/compatibility/rules",
                body={"product_a_id": "INV-5KW", "product_b_id": "BAT-5KWH", "rule_type": "COMPATIBLE"},
            ),
        )
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
