"""The sample catalog and customer (plain data): one source for the demo, the catalog and SSR tests and the bench.

A 5 kW hybrid inverter, 5 and 1 kWh batteries, 550 W panels, the "5kW Complete System" package, its compatibility
rules, a 730-day category warranty rule for inverters, and paid orders of customer John Doe shaped as contract.md's
Orders item. Tests that need a variant derive it (`{**INVERTER, "specs": {...}}`) instead of editing these.
"""

from __future__ import annotations

from typing import Any

INVERTER_ID = "INV-5KW"
BATTERY_ID = "BAT-5KWH"
SMALL_BATTERY_ID = "BAT-1KWH"
PANEL_ID = "PANEL-550W"
INSTALLATION_SERVICE_ID = "SVC-INSTALL"
PACKAGE_ID = "PKG-5KW"

INVERTER: dict[str, Any] = {
    "sku": INVERTER_ID,
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
BATTERY: dict[str, Any] = {
    "sku": BATTERY_ID,
    "name": "5 kWh Lithium Battery",
    "category": "battery",
    "specs": {"capacity_kwh": 5, "nominal_voltage_v": 48},
}
SMALL_BATTERY: dict[str, Any] = {
    "sku": SMALL_BATTERY_ID,
    "name": "1 kWh Lithium Battery",
    "category": "battery",
    "specs": {"capacity_kwh": 1, "nominal_voltage_v": 48},
}
PANEL: dict[str, Any] = {
    "sku": PANEL_ID,
    "name": "550 W Mono Panel",
    "category": "solar_panel",
    "specs": {"power_w": 550},
}
PRODUCTS: tuple[dict[str, Any], ...] = (INVERTER, BATTERY, SMALL_BATTERY, PANEL)

# Not solar: an order of nothing but this is skipped by the automation.
INSTALLATION_SERVICE: dict[str, Any] = {"sku": INSTALLATION_SERVICE_ID, "name": "Installation", "category": "service"}

COMPLETE_SYSTEM: dict[str, Any] = {
    "name": "5kW Complete System",
    "system_size_kw": 5.0,
    "items": [
        {"product_id": INVERTER_ID, "quantity": 1},
        {"product_id": BATTERY_ID, "quantity": 2},
        {"product_id": PANEL_ID, "quantity": 10},
    ],
}

COMPATIBLE_BATTERY: dict[str, Any] = {
    "product_a_id": INVERTER_ID,
    "product_b_id": BATTERY_ID,
    "rule_type": "COMPATIBLE",
    "reason": "48 V lithium battery supported by the inverter",
}
TOO_SMALL_BATTERY: dict[str, Any] = {
    "product_a_id": INVERTER_ID,
    "product_b_id": SMALL_BATTERY_ID,
    "rule_type": "INCOMPATIBLE",
    "reason": "Battery too small for inverter",
}
COMPATIBILITY_RULES: tuple[dict[str, Any], ...] = (COMPATIBLE_BATTERY, TOO_SMALL_BATTERY)

INVERTER_WARRANTY: dict[str, Any] = {"category": "inverter", "duration_days": 730, "priority": 10}
WARRANTY_RULES: tuple[dict[str, Any], ...] = (INVERTER_WARRANTY,)

CUSTOMER: dict[str, Any] = {
    "customer_id": "C-1",
    "first_name": "John",
    "last_name": "Doe",
    "email": "john@example.com",
    "phone": "+263771234567",
    "whatsapp_id": "263771234567",
    "address": {
        "street": "1 Main Rd",
        "suburb": "Avondale",
        "city": "Harare",
        "province": "Harare",
        "country": "ZW",
        "postal_code": "",
        "lat": None,
        "lon": None,
    },
}

_UNIT_PRICES = {INVERTER_ID: "1200.00", BATTERY_ID: "900.00", SMALL_BATTERY_ID: "250.00", PANEL_ID: "150.00"}


def order_line(product_id: str, quantity: int = 1, serial_numbers: list[str] | None = None) -> dict[str, Any]:
    """One order line, priced from the sample price list (0.00 for products not on it)."""
    return {
        "product_id": product_id,
        "quantity": quantity,
        "unit_price": _UNIT_PRICES.get(product_id, "0.00"),
        "serial_numbers": list(serial_numbers or []),
    }


def complete_system_lines(inverter_serial_numbers: list[str] | None = None) -> list[dict[str, Any]]:
    """The "5kW Complete System" package as order lines; serial numbers, if given, go on the inverter line."""
    return [
        order_line(item["product_id"], item["quantity"], inverter_serial_numbers if index == 0 else None)
        for index, item in enumerate(COMPLETE_SYSTEM["items"])
    ]


def sample_order(order_id: str, items: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """A closed_won, paid order of John Doe (contract.md's Orders item); `items` defaults to the complete system.

    `overrides` replace top-level fields, e.g. `payment_status="pending"` or `notes="Gate code 1234."`.
    """
    order: dict[str, Any] = {
        "order_id": order_id,
        "order_number": order_id,
        "stage": "closed_won",
        "payment_status": "paid",
        "branch_id": "harare",
        "currency": "USD",
        "notes": "",
        "customer": {**CUSTOMER, "address": dict(CUSTOMER["address"])},
        "items": complete_system_lines() if items is None else items,
        "updated_at": "2026-11-25T10:00:00Z",
    }
    return {**order, **overrides}
