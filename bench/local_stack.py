"""The local stack as an engineer meets it: start-up time, and paid orders from PUT to a created SSR."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import requests

from local.scenarios import sample_catalog as sample
from local.stack_process import StackProcess

ORDERS = 5
_TIMEOUT_S = 30


def _session(stack: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack['staff_token']}"
    return session


def _seed(api: requests.Session, url: str) -> None:
    for product in sample.PRODUCTS:
        api.put(f"{url}/products/{product['sku']}", json=product, timeout=10).raise_for_status()
    api.put(f"{url}/packages/{sample.PACKAGE_ID}", json=sample.COMPLETE_SYSTEM, timeout=10).raise_for_status()
    for rule in sample.COMPATIBILITY_RULES:
        api.post(f"{url}/products/compatibility/rules", json=rule, timeout=10).raise_for_status()
    for warranty_rule in sample.WARRANTY_RULES:
        api.post(f"{url}/warranty-rules", json=warranty_rule, timeout=10).raise_for_status()


def _put_and_wait(api: requests.Session, url: str, order_id: str) -> float:
    """Seconds from the PUT of a paid order to its automation state `created`."""
    started = time.perf_counter()
    api.put(f"{url}/orders/{order_id}", json=sample.sample_order(order_id), timeout=10).raise_for_status()
    deadline = started + _TIMEOUT_S
    while time.perf_counter() < deadline:
        answer = api.get(f"{url}/orders/{order_id}/service-request", timeout=10)
        if answer.status_code == 200 and answer.json()["automation"]["state"] == "created":
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError(f"order {order_id} did not reach `created` within {_TIMEOUT_S} s")


def measure() -> dict[str, Any]:
    """Start-up seconds, and for ORDERS paid orders: PUT → created and the executions' own durations (ms)."""
    with tempfile.TemporaryDirectory() as scratch:
        process = StackProcess(Path(scratch) / "stack.json", Path(scratch) / "stack.log")
        started = time.perf_counter()
        stack = process.start()
        startup_s = time.perf_counter() - started
        try:
            url, api = stack["api_url"], _session(stack)
            _seed(api, url)
            put_to_created_ms = [_put_and_wait(api, url, f"SO-BENCH-{n}") * 1000 for n in range(ORDERS)]
            sfn = boto3.client("stepfunctions", endpoint_url=stack["aws_endpoint_url"], region_name=stack["region"])
            executions = sfn.list_executions(stateMachineArn=stack["state_machine_arn"])["executions"]
            execution_ms = [
                (e["stopDate"] - e["startDate"]).total_seconds() * 1000
                for e in executions
                if e["status"] == "SUCCEEDED"
            ]
        finally:
            process.stop()
    return {
        "startup_s": round(startup_s, 2),
        "paid_orders": ORDERS,
        "put_to_created_ms_median": round(statistics.median(put_to_created_ms), 1),
        "put_to_created_ms_max": round(max(put_to_created_ms), 1),
        "execution_ms_median": round(statistics.median(execution_ms), 1),
        "executions_succeeded": len(execution_ms),
    }
