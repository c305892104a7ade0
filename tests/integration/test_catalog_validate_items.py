"""`validate_items`, as the SSR workflow calls it on an order's lines: products and rules loaded from the table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from solar_core.catalog import service, store
from solar_core.catalog.models import CompatibilityRuleIn, PackageItem, ProductIn, RuleType
from tests.support.aws import moto_tables


@pytest.fixture
def catalog() -> Iterator[None]:
    with moto_tables():
        store.put_product(
            "INV-5KW",
            ProductIn(
                sku="INV-5KW",
                name="5 kW Hybrid Inverter",
                category="inverter",
                specs={"rated_power_kw": 5, "max_pv_input_kw": 6.5, "max_battery_kwh": 20, "nominal_voltage_v": 48},
            ),
        )
        store.put_product(
            "BAT-5KWH",
            ProductIn(
                sku="BAT-5KWH",
                name="5 kWh Lithium Battery",
                category="battery",
                specs={"capacity_kwh": 5, "nominal_voltage_v": 48},
            ),
        )
        store.put_product(
            "BAT-1KWH",
            ProductIn(
                sku="BAT-1KWH",
                name="1 kWh Lithium Battery",
                category="battery",
                specs={"capacity_kwh": 1, "nominal_voltage_v": 48},
            ),
        )
        store.put_product("CT-100A", ProductIn(sku="CT-100A", name="100 A Current Sensor", category="accessory"))
        store.create_rule(
            CompatibilityRuleIn(product_a_id="INV-5KW", product_b_id="BAT-5KWH", rule_type=RuleType.COMPATIBLE)
        )
        store.create_rule(
            CompatibilityRuleIn(
                product_a_id="BAT-1KWH",
                product_b_id="INV-5KW",
                rule_type=RuleType.INCOMPATIBLE,
                reason="Battery too small for inverter",
            )
        )
        store.create_rule(
            CompatibilityRuleIn(product_a_id="INV-5KW", product_b_id="CT-100A", rule_type=RuleType.REQUIRES)
        )
        yield


def lines(*quantities: tuple[str, int]) -> list[PackageItem]:
    return [PackageItem(product_id=product_id, quantity=quantity) for product_id, quantity in quantities]


def test_a_valid_order_passes_both_checks(catalog: None) -> None:
    report = service.validate_items(lines(("INV-5KW", 1), ("BAT-5KWH", 2), ("CT-100A", 1)), 5.0)

    assert report.overall_valid


def test_a_rule_stored_with_the_order_product_second_still_applies(catalog: None) -> None:
    report = service.validate_items(lines(("INV-5KW", 1), ("BAT-1KWH", 2), ("CT-100A", 1)), 5.0)

    assert not report.overall_valid
    assert report.compatibility.errors == [
        "5 kW Hybrid Inverter (INV-5KW) and 1 kWh Lithium Battery (BAT-1KWH) are not compatible: "
        "Battery too small for inverter"
    ]


def test_a_required_product_missing_from_the_order_is_named_by_name_and_sku(catalog: None) -> None:
    report = service.validate_items(lines(("INV-5KW", 1), ("BAT-5KWH", 2)), 5.0)

    assert report.compatibility.errors == [
        "5 kW Hybrid Inverter (INV-5KW) requires 100 A Current Sensor (CT-100A), which is missing: "
        "add it or remove 5 kW Hybrid Inverter."
    ]


def test_unknown_product_ids_are_findings_not_exceptions(catalog: None) -> None:
    report = service.validate_items(lines(("INV-5KW", 1), ("CT-100A", 1), ("SVC-INSTALL", 1)), None)

    assert not report.overall_valid
    assert report.compatibility.errors == [
        "Product SVC-INSTALL is not in the catalog; remove it or add it to the catalog first."
    ]


def test_only_rules_that_can_affect_the_products_are_loaded(catalog: None) -> None:
    rules = store.rules_for_products(["INV-5KW", "BAT-5KWH"])

    assert {(rule.product_a_id, rule.product_b_id, rule.rule_type) for rule in rules} == {
        ("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE),
        ("INV-5KW", "CT-100A", RuleType.REQUIRES),
    }
