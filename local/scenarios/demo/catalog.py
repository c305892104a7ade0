"""`make demo`, the catalog: products, rules and packages, then both compatibility checks."""

from __future__ import annotations

from typing import Any

from local.scenarios.demo.client import heading
from local.scenarios.demo.context import DemoContext
from local.scenarios.sample_catalog import (
    BATTERY_ID,
    COMPATIBILITY_RULES,
    COMPATIBLE_BATTERY,
    COMPLETE_SYSTEM,
    INSTALLATION_SERVICE,
    INVERTER_ID,
    PACKAGE_ID,
    PANEL_ID,
    PRODUCTS,
    SMALL_BATTERY_ID,
    WARRANTY_RULES,
)

BMS = {
    "sku": "BMS-48V",
    "name": "48 V Battery Management Module",
    "category": "accessory",
    "is_solar": True,
    "specs": {"nominal_voltage_v": 48},
}
BMS_NEEDS_INVERTER = {
    "product_a_id": "BMS-48V",
    "product_b_id": INVERTER_ID,
    "rule_type": "REQUIRES",
    "reason": "The BMS reports to the inverter over CAN",
}
BATTERY_UPGRADE_KIT = {
    "name": "Battery Upgrade Kit",
    "items": [{"product_id": "BMS-48V", "quantity": 1}, {"product_id": BATTERY_ID, "quantity": 1}],
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
    for product in (*PRODUCTS, BMS, INSTALLATION_SERVICE):
        api.call("PUT", f"/products/{product['sku']}", product, expect=201, why="created")
    api.call("GET", f"/products/{INVERTER_ID}", check=lambda p: p["specs"]["max_pv_input_kw"] == 6.5, why="read back")

    heading("Catalog: compatibility rules")
    for rule in (*COMPATIBILITY_RULES, BMS_NEEDS_INVERTER):
        api.call("POST", "/products/compatibility/rules", rule, expect=201, check=lambda r: bool(r["rule_id"]))
    api.call(
        "POST", "/products/compatibility/rules", COMPATIBLE_BATTERY, expect=409, why="the same rule twice is a conflict"
    )

    heading("Catalog: warranty rules")
    for rule in WARRANTY_RULES:
        api.call("POST", "/warranty-rules", rule, expect=201, why="every inverter's warranty runs 730 days")

    heading("Catalog: packages")
    api.call("PUT", f"/packages/{PACKAGE_ID}", COMPLETE_SYSTEM, expect=201, why="created")
    api.call("PUT", "/packages/PKG-BAT-KIT", BATTERY_UPGRADE_KIT, expect=201, why="created")

    heading("Compatibility: product pairs")
    check = "/products/compatibility/check-products/"
    api.call(
        "POST",
        check,
        {"product_a_id": INVERTER_ID, "product_b_id": BATTERY_ID},
        check=lambda r: r["compatible"] is True and r["has_rule"] is True,
        why="compatible by rule",
        show=_pair_verdict,
    )
    api.call(
        "POST",
        check,
        {"product_a_id": SMALL_BATTERY_ID, "product_b_id": INVERTER_ID},
        check=lambda r: r["compatible"] is False and r["reason"] == "Battery too small for inverter",
        why="incompatible by rule, either order",
        show=_pair_verdict,
    )
    api.call(
        "POST",
        check,
        {"product_a_id": PANEL_ID, "product_b_id": BATTERY_ID},
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
        {"package_id": PACKAGE_ID},
        check=lambda r: r["overall_valid"] is True and r["system_size"]["valid"] is True,
        why="the complete system is valid",
        show=_package_verdict,
    )


# ---------------------------------------------------------------- the paid-order automation
