"""The rules kept in memory per version token (the SSR workflow's path) against the rules read fresh (the API's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.api_calls import counted_api_calls
from solar_core import errors
from solar_core.catalog import service, store
from solar_core.catalog.models import CompatibilityRuleIn, PackageItem, ProductIn, RuleType, WarrantyRuleIn
from tests.support.aws import moto_tables

PRODUCTS = {
    "INV-5KW": ProductIn(
        sku="INV-5KW",
        name="5 kW Hybrid Inverter",
        category="inverter",
        specs={"rated_power_kw": 5, "max_pv_input_kw": 6.5, "max_battery_kwh": 20, "nominal_voltage_v": 48},
    ),
    "BAT-5KWH": ProductIn(
        sku="BAT-5KWH", name="5 kWh Battery", category="battery", specs={"capacity_kwh": 5, "nominal_voltage_v": 48}
    ),
    "BAT-1KWH": ProductIn(
        sku="BAT-1KWH", name="1 kWh Battery", category="battery", specs={"capacity_kwh": 1, "nominal_voltage_v": 48}
    ),
    "CT-100A": ProductIn(sku="CT-100A", name="100 A Current Sensor", category="accessory"),
}
ORDERS = [
    [("INV-5KW", 1), ("BAT-5KWH", 2), ("CT-100A", 1)],
    [("INV-5KW", 1), ("BAT-1KWH", 2)],
    [("BAT-1KWH", 1), ("INV-5KW", 1), ("BAT-5KWH", 1)],
    [("BAT-5KWH", 1)],
    [("INV-5KW", 1), ("NOT-IN-CATALOG", 1)],
]


@pytest.fixture
def catalog() -> Iterator[None]:
    with moto_tables():
        for product_id, product in PRODUCTS.items():
            store.put_product(product_id, product)
        yield


def rule(a: str, b: str, rule_type: RuleType, reason: str | None = None) -> CompatibilityRuleIn:
    fields = {"reason": reason} if reason else {}
    return CompatibilityRuleIn(product_a_id=a, product_b_id=b, rule_type=rule_type, **fields)


def version() -> str | None:
    return store.get_products_and_rules_version(["INV-5KW"])[1]


def lines(order: list[tuple[str, int]]) -> list[PackageItem]:
    return [PackageItem(product_id=product_id, quantity=quantity) for product_id, quantity in order]


def test_the_kept_rules_give_the_verdicts_of_the_rules_read_fresh(catalog: None) -> None:
    # given rules of every type, stored with the products in either order
    store.create_rule(rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE))
    store.create_rule(rule("BAT-1KWH", "INV-5KW", RuleType.INCOMPATIBLE, "Battery too small"))
    store.create_rule(rule("INV-5KW", "CT-100A", RuleType.REQUIRES))
    store.create_rule(rule("BAT-5KWH", "BAT-1KWH", RuleType.INCOMPATIBLE, "Do not mix capacities"))
    rules = store.rule_set(version())
    for order in ORDERS:
        # when an order is checked with the kept rules and with rules read fresh
        kept = service.validate_items(lines(order), None, rule_set=rules)
        fresh = service.validate_items(lines(order), None)
        # then the reports are the same, findings and their order included
        assert kept == fresh, order
    assert not service.validate_items(lines(ORDERS[1]), None, rule_set=rules).overall_valid


def test_every_rule_write_gives_a_new_version_whose_readers_see_it(catalog: None) -> None:
    # given an order that passes with the rules as they are, kept in memory
    store.create_rule(rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE))
    first = version()
    assert service.validate_items(
        lines(ORDERS[3] + [("INV-5KW", 1)]), None, rule_set=store.rule_set(first)
    ).overall_valid
    # when a rule makes the pair incompatible
    created = store.create_rule(rule("BAT-5KWH", "INV-5KW", RuleType.INCOMPATIBLE, "Recalled firmware"))
    second = version()
    # then the version changed, and a reader of the new version sees the rule at once
    assert second not in (None, first)
    report = service.validate_items(lines([("INV-5KW", 1), ("BAT-5KWH", 1)]), None, rule_set=store.rule_set(second))
    assert report.compatibility.errors == [
        "5 kW Hybrid Inverter (INV-5KW) and 5 kWh Battery (BAT-5KWH) are not compatible: Recalled firmware"
    ]
    # and deleting it, or adding a warranty rule, gives a new version too
    store.delete_rule(created.rule_id)
    third = version()
    assert third not in (first, second)
    assert store.rule_set(third).for_products(["INV-5KW", "BAT-5KWH"])[0].rule_type is RuleType.COMPATIBLE
    warranty = store.create_warranty_rule(WarrantyRuleIn(category="battery", duration_days=3650))
    fourth = version()
    assert fourth not in (first, second, third)
    assert store.rule_set(fourth).warranty == (warranty,)


def test_a_refused_rule_write_keeps_the_version(catalog: None) -> None:
    # given a rule
    created = store.create_rule(rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE))
    before = version()
    # when the same rule is created again (the other way round), or an unknown rule deleted
    with pytest.raises(errors.Conflict):
        store.create_rule(rule("BAT-5KWH", "INV-5KW", RuleType.COMPATIBLE))
    with pytest.raises(errors.NotFound):
        store.delete_rule("no-such-rule")
    # then the transactions were refused whole: the version did not move, and the rule is still there
    assert version() == before
    assert [kept.rule_id for kept in store.rule_set(before).compatibility] == [created.rule_id]


def test_rules_are_read_once_per_version_and_every_time_without_one(catalog: None) -> None:
    # given a version
    store.create_rule(rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE))
    token = version()
    with counted_api_calls() as calls:
        # when the rules of that version are asked for three times, and three times without a version
        for _ in range(3):
            store.rule_set(token)
        read_with_version = calls["dynamodb.Query"]
        for _ in range(3):
            store.rule_set(None)
    # then the version's rules were read once (compatibility and warranty rules: one Query each), the others each time
    assert read_with_version == 2
    assert calls["dynamodb.Query"] - read_with_version == 6


def test_a_catalog_with_no_rule_written_yet_has_no_version(catalog: None) -> None:
    # given products only; when LoadOrder reads them with the version
    products, token = store.get_products_and_rules_version(["INV-5KW", "BAT-5KWH", "NOT-IN-CATALOG"])
    # then the existing products come back and there is no version (the rules are read, not kept)
    assert set(products) == {"INV-5KW", "BAT-5KWH"}
    assert token is None
    assert store.rule_set(None).compatibility == ()
