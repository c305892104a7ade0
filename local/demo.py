"""`python -m local demo`: a scripted walk through the system against a fresh local stack.

Each part of the scenario is a function `(DemoContext) -> None` listed in SCENARIO, run in order against the
same stack. To add a part (e.g. the paid-order automation), write `def paid_order_automation(demo: DemoContext)`
below, call `demo.api.call(...)` with the expected status and a `check` on the answer, read moto through
`demo.aws("ses")` etc., and append it to SCENARIO. A failed expectation makes the demo exit non-zero.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local.demo_client import DemoApi, heading
from local.moto_server import FAKE_CREDENTIALS
from local.stack_process import StackProcess


@dataclass
class DemoContext:
    """What a scenario part works with: the API client (staff token) and the running stack."""

    api: DemoApi
    stack: dict[str, Any]  # the parsed stack.json

    def aws(self, service: str) -> Any:
        """A boto3 client on the stack's moto (to show what the automation sent, stored or ran)."""
        session = boto3.session.Session(
            region_name=self.stack["region"],
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        return session.client(service, endpoint_url=self.stack["aws_endpoint_url"])  # type: ignore[call-overload]


INVERTER = {
    "sku": "INV-5KW",
    "name": "5 kW Hybrid Inverter",
    "category": "inverter",
    "specs": {
        "rated_power_kw": 5,
        "max_pv_input_kw": 6.5,
        "max_battery_kwh": 20,
        "nominal_voltage_v": 48,
        "hybrid": True,
    },
    "warranty_days": 1825,
}
BATTERY_5KWH = {
    "sku": "BAT-5KWH",
    "name": "5 kWh Lithium Battery",
    "category": "battery",
    "specs": {"capacity_kwh": 5, "nominal_voltage_v": 48},
    "warranty_days": 3650,
}
BATTERY_1KWH = {
    "sku": "BAT-1KWH",
    "name": "1 kWh Lithium Battery",
    "category": "battery",
    "specs": {"capacity_kwh": 1, "nominal_voltage_v": 48},
}
PANEL = {"sku": "PANEL-550W", "name": "550 W Mono Panel", "category": "solar_panel", "specs": {"power_w": 550}}
BMS = {
    "sku": "BMS-48V",
    "name": "48 V Battery Management Module",
    "category": "accessory",
    "is_solar": True,
    "specs": {"nominal_voltage_v": 48},
}
COMPLETE_SYSTEM = {
    "name": "5kW Complete System",
    "system_size_kw": 5.0,
    "items": [
        {"product_id": "INV-5KW", "quantity": 1},
        {"product_id": "BAT-5KWH", "quantity": 2},
        {"product_id": "PANEL-550W", "quantity": 10},
    ],
}
BATTERY_UPGRADE_KIT = {
    "name": "Battery Upgrade Kit",
    "items": [{"product_id": "BMS-48V", "quantity": 1}, {"product_id": "BAT-5KWH", "quantity": 1}],
}


def _pair_verdict(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: answer[key] for key in ("compatible", "has_rule", "warning", "reason")}


def _package_verdict(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "overall_valid": answer["overall_valid"],
        "errors": answer["compatibility"]["errors"] + answer["system_size"]["errors"],
        "warnings": len(answer["compatibility"]["warnings"]) + len(answer["system_size"]["warnings"]),
    }


def catalog_and_compatibility(demo: DemoContext) -> None:
    """Load a small catalog with rules and packages, then run both compatibility checks."""
    api = demo.api
    heading("Catalog: products")
    for product in (INVERTER, BATTERY_5KWH, BATTERY_1KWH, PANEL, BMS):
        api.call("PUT", f"/products/{product['sku']}", product, expect=201, why="created")
    api.call("GET", "/products/INV-5KW", check=lambda p: p["specs"]["max_pv_input_kw"] == 6.5, why="read back")

    heading("Catalog: compatibility rules")
    rules = [
        ("INV-5KW", "BAT-5KWH", "COMPATIBLE", "48 V lithium battery supported by the inverter"),
        ("INV-5KW", "BAT-1KWH", "INCOMPATIBLE", "Battery too small for inverter"),
        ("BMS-48V", "INV-5KW", "REQUIRES", "The BMS reports to the inverter over CAN"),
    ]
    for product_a, product_b, rule_type, reason in rules:
        body = {"product_a_id": product_a, "product_b_id": product_b, "rule_type": rule_type, "reason": reason}
        api.call("POST", "/products/compatibility/rules", body, expect=201, check=lambda r: bool(r["rule_id"]))
    duplicate = {"product_a_id": "INV-5KW", "product_b_id": "BAT-5KWH", "rule_type": "COMPATIBLE"}
    api.call("POST", "/products/compatibility/rules", duplicate, expect=409, why="the same rule twice is a conflict")

    heading("Catalog: packages")
    api.call("PUT", "/packages/PKG-5KW", COMPLETE_SYSTEM, expect=201, why="created")
    api.call("PUT", "/packages/PKG-BAT-KIT", BATTERY_UPGRADE_KIT, expect=201, why="created")

    heading("Compatibility: product pairs")
    check = "/products/compatibility/check-products/"
    api.call(
        "POST",
        check,
        {"product_a_id": "INV-5KW", "product_b_id": "BAT-5KWH"},
        check=lambda r: r["compatible"] is True and r["has_rule"] is True,
        why="compatible by rule",
        show=_pair_verdict,
    )
    api.call(
        "POST",
        check,
        {"product_a_id": "BAT-1KWH", "product_b_id": "INV-5KW"},
        check=lambda r: r["compatible"] is False and r["reason"] == "Battery too small for inverter",
        why="incompatible by rule, either order",
        show=_pair_verdict,
    )
    api.call(
        "POST",
        check,
        {"product_a_id": "PANEL-550W", "product_b_id": "BAT-5KWH"},
        check=lambda r: r["compatible"] is True and r["has_rule"] is False and r["warning"] is True,
        why="no rule: compatible with a warning",
        show=_pair_verdict,
    )

    heading("Compatibility: packages")
    validate = "/products/compatibility/validate-package/"
    api.call(
        "POST",
        validate,
        {"package_id": "PKG-BAT-KIT"},
        check=lambda r: r["overall_valid"] is False and bool(r["compatibility"]["errors"]),
        why="the BMS requires the inverter, which the kit lacks",
        show=_package_verdict,
    )
    api.call(
        "POST",
        validate,
        {"package_id": "PKG-5KW"},
        check=lambda r: r["overall_valid"] is True and r["system_size"]["valid"] is True,
        why="the complete system is valid",
        show=_package_verdict,
    )


# The scenario, in order; append further parts here.
SCENARIO: list[Callable[[DemoContext], None]] = [catalog_and_compatibility]


def run_demo(opensolar_url: str | None = None) -> int:
    """Start a fresh stack, run SCENARIO, stop it; 0 when every step answered as expected."""
    with tempfile.TemporaryDirectory(prefix="solar-demo-") as workdir:
        extra = ("--opensolar-url", opensolar_url) if opensolar_url else ()
        stack = StackProcess(Path(workdir) / "stack.json", Path(workdir) / "stack.log", extra)
        print("Starting a fresh local stack…", flush=True)
        state = stack.start()
        print(f"API {state['api_url']} · moto {state['aws_endpoint_url']} · ready in {state['startup_seconds']} s")
        demo = DemoContext(DemoApi(state["api_url"], state["staff_token"]), state)
        try:
            for part in SCENARIO:
                part(demo)
        finally:
            exit_code = stack.stop()
            if demo.api.failures or exit_code != 0:
                print(f"\nThe stack's log (last lines):\n{stack.log_tail()}", flush=True)
    heading("Result")
    for failure in demo.api.failures:
        print(f"✗ {failure}")
    if exit_code != 0:
        print(f"✗ the stack exited with {exit_code}")
    ok = not demo.api.failures and exit_code == 0
    print("All steps answered as expected." if ok else f"{len(demo.api.failures)} step(s) failed.")
    return 0 if ok else 1
