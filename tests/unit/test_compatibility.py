"""The rules engine on a realistic catalog: pair verdicts, package compatibility and system-size findings."""

from __future__ import annotations

from typing import Any

import pytest

from solar_core.catalog.compatibility import check_compatibility, check_pair, check_system_size, validate_lines
from solar_core.catalog.models import CompatibilityRule, PackageItem, Product, RuleType

NOW = "2026-11-25T10:00:00Z"


def product(product_id: str, name: str, category: str, **specs: Any) -> Product:
    return Product(
        id=product_id, sku=product_id, name=name, category=category, specs=specs, created_at=NOW, updated_at=NOW
    )


def rule(a: str, b: str, rule_type: RuleType, reason: str = "", *, active: bool = True) -> CompatibilityRule:
    return CompatibilityRule(
        rule_id=f"{rule_type}-{a}-{b}",
        product_a_id=a,
        product_b_id=b,
        rule_type=rule_type,
        reason=reason,
        is_active=active,
        created_at=NOW,
    )


def lines(*quantities: tuple[str, int]) -> list[PackageItem]:
    return [PackageItem(product_id=product_id, quantity=quantity) for product_id, quantity in quantities]


INVERTER = product(
    "INV-5KW",
    "5 kW Hybrid Inverter",
    "inverter",
    rated_power_kw=5,
    max_pv_input_kw=6.5,
    max_battery_kwh=20,
    nominal_voltage_v=48,
    hybrid=True,
)
BATTERY = product("BAT-5KWH", "5 kWh Lithium Battery", "battery", capacity_kwh=5, nominal_voltage_v=48)
SMALL_BATTERY = product("BAT-1KWH", "1 kWh Lithium Battery", "battery", capacity_kwh=1, nominal_voltage_v=48)
PANEL = product("PANEL-550W", "550 W Mono Panel", "solar_panel", power_w=550)
CATALOG = {p.id: p for p in (INVERTER, BATTERY, SMALL_BATTERY, PANEL)}
RULES = [
    rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE),
    rule("INV-5KW", "BAT-1KWH", RuleType.INCOMPATIBLE, "Battery too small for inverter"),
]
COMPLETE_SYSTEM = lines(("INV-5KW", 1), ("BAT-5KWH", 2), ("PANEL-550W", 10))


# ---------------------------------------------------------------- check_pair


def test_a_compatible_rule_stored_as_b_a_applies_to_a_b() -> None:
    # given a COMPATIBLE rule stored as (battery, inverter)
    rules = [rule("BAT-5KWH", "INV-5KW", RuleType.COMPATIBLE)]
    # when the pair is checked as (inverter, battery)
    check = check_pair(INVERTER, BATTERY, rules)
    # then the rule applies
    assert check.compatible
    assert check.has_rule
    assert not check.warning
    assert check.rule_type is RuleType.COMPATIBLE


def test_an_incompatible_rule_makes_the_pair_incompatible_with_its_reason() -> None:
    check = check_pair(SMALL_BATTERY, INVERTER, RULES)

    assert not check.compatible
    assert check.reason == "Battery too small for inverter"
    assert check.rule_type is RuleType.INCOMPATIBLE
    assert (check.product_a_id, check.product_b_id) == ("BAT-1KWH", "INV-5KW")


def test_incompatible_wins_when_a_compatible_rule_exists_for_the_same_pair() -> None:
    # given contradicting rules
    rules = [rule("INV-5KW", "BAT-5KWH", RuleType.COMPATIBLE), rule("BAT-5KWH", "INV-5KW", RuleType.INCOMPATIBLE)]
    # when checked
    check = check_pair(INVERTER, BATTERY, rules)
    # then the safer verdict holds
    assert not check.compatible
    assert check.rule_type is RuleType.INCOMPATIBLE


def test_requires_is_reported_as_compatible_with_who_requires_whom() -> None:
    rules = [rule("INV-5KW", "PANEL-550W", RuleType.REQUIRES, "MPPT sized for 550 W modules")]

    check = check_pair(PANEL, INVERTER, rules)

    assert check.compatible
    assert check.has_rule
    assert check.rule_type is RuleType.REQUIRES
    assert (
        check.reason
        == "5 kW Hybrid Inverter (INV-5KW) requires 550 W Mono Panel (PANEL-550W): MPPT sized for 550 W modules"
    )


def test_two_products_that_require_each_other_say_so() -> None:
    rules = [rule("INV-5KW", "BAT-5KWH", RuleType.REQUIRES), rule("BAT-5KWH", "INV-5KW", RuleType.REQUIRES)]

    check = check_pair(INVERTER, BATTERY, rules)

    assert check.reason == "5 kW Hybrid Inverter (INV-5KW) and 5 kWh Lithium Battery (BAT-5KWH) require each other."


def test_a_pair_without_a_rule_is_compatible_with_a_warning_that_no_rule_exists() -> None:
    check = check_pair(INVERTER, PANEL, RULES)

    assert check.compatible
    assert not check.has_rule
    assert check.warning
    assert check.rule_type is None
    assert "No compatibility rule exists" in check.reason
    assert "INV-5KW" in check.reason
    assert "PANEL-550W" in check.reason


def test_inactive_rules_are_ignored() -> None:
    rules = [rule("INV-5KW", "BAT-1KWH", RuleType.INCOMPATIBLE, active=False)]

    check = check_pair(INVERTER, SMALL_BATTERY, rules)

    assert check.compatible
    assert check.warning


# ---------------------------------------------------------------- check_compatibility


def test_the_5kw_complete_system_is_compatible_and_warns_about_pairs_without_rules() -> None:
    report = check_compatibility(COMPLETE_SYSTEM, CATALOG, RULES)

    assert report.valid
    assert report.errors == []
    assert len(report.compatibility_checks) == 3
    assert len(report.warnings) == 2  # inverter-panel and battery-panel have no rule


def test_an_incompatible_battery_makes_the_package_invalid_naming_both_products() -> None:
    report = check_compatibility(lines(("INV-5KW", 1), ("BAT-1KWH", 4)), CATALOG, RULES)

    assert not report.valid
    assert report.errors == [
        "5 kW Hybrid Inverter (INV-5KW) and 1 kWh Lithium Battery (BAT-1KWH) are not compatible: "
        "Battery too small for inverter"
    ]


def test_a_product_on_two_lines_is_checked_once() -> None:
    report = check_compatibility(lines(("INV-5KW", 1), ("BAT-5KWH", 1)) + lines(("BAT-5KWH", 1)), CATALOG, RULES)

    assert [(c.product_a_id, c.product_b_id) for c in report.compatibility_checks] == [("INV-5KW", "BAT-5KWH")]


def test_a_missing_required_product_is_an_error_naming_both_by_name_and_sku() -> None:
    # given the inverter requires the panel, and the package has no panel
    rules = [*RULES, rule("INV-5KW", "PANEL-550W", RuleType.REQUIRES)]
    # when checked
    report = check_compatibility(lines(("INV-5KW", 1), ("BAT-5KWH", 2)), CATALOG, rules)
    # then the error says who requires whom
    assert not report.valid
    assert report.errors == [
        "5 kW Hybrid Inverter (INV-5KW) requires 550 W Mono Panel (PANEL-550W), which is missing: "
        "add it or remove 5 kW Hybrid Inverter."
    ]


def test_a_required_product_that_is_present_satisfies_the_rule() -> None:
    rules = [*RULES, rule("INV-5KW", "PANEL-550W", RuleType.REQUIRES)]

    report = check_compatibility(COMPLETE_SYSTEM, CATALOG, rules)

    assert report.valid


def test_a_requirement_on_the_absent_side_does_not_apply() -> None:
    # the panel requires the inverter, but there is no panel: nothing is missing
    rules = [rule("PANEL-550W", "INV-5KW", RuleType.REQUIRES)]

    report = check_compatibility(lines(("INV-5KW", 1)), CATALOG, rules)

    assert report.valid


def test_batteries_without_an_inverter_are_an_error_not_a_crash() -> None:
    report = check_compatibility(lines(("BAT-5KWH", 2), ("PANEL-550W", 4)), CATALOG, RULES)

    assert not report.valid
    assert report.errors == [
        "The batteries (5 kWh Lithium Battery (BAT-5KWH)) have no inverter to charge and discharge them: "
        "add a hybrid inverter."
    ]


def test_an_unknown_product_is_an_error_finding() -> None:
    report = check_compatibility(lines(("INV-5KW", 1), ("GHOST-1", 1)), CATALOG, RULES)

    assert not report.valid
    assert report.errors == ["Product GHOST-1 is not in the catalog; remove it or add it to the catalog first."]


def test_no_lines_are_trivially_compatible() -> None:
    report = check_compatibility([], CATALOG, RULES)

    assert report.valid
    assert report.compatibility_checks == []


# ---------------------------------------------------------------- check_system_size


def test_the_5kw_complete_system_passes_every_size_check() -> None:
    report = check_system_size(COMPLETE_SYSTEM, CATALOG, 5.0)

    assert report.valid
    assert report.errors == []
    assert report.warnings == []


def test_a_stated_size_above_the_inverter_power_is_an_error_saying_what_to_change() -> None:
    report = check_system_size(COMPLETE_SYSTEM, CATALOG, 6.0)

    assert not report.valid
    assert report.errors == [
        "The system is sold as 6 kW but its inverter power is only 5 kW: "
        "lower the stated size to 5 kW or choose a larger inverter."
    ]


def test_a_stated_size_under_half_the_inverter_power_is_a_warning() -> None:
    report = check_system_size(COMPLETE_SYSTEM, CATALOG, 2.0)

    assert report.valid
    assert report.warnings == [
        "The system is sold as 2 kW but its inverter power is 5 kW, more than twice that: "
        "check the stated size or choose a smaller inverter."
    ]


def test_no_stated_size_skips_that_check() -> None:
    report = check_system_size(COMPLETE_SYSTEM, CATALOG, None)

    assert report.valid
    assert report.warnings == []


def test_panels_above_the_max_pv_input_are_an_error_saying_how_many_to_remove() -> None:
    # 13 x 550 W = 7.15 kW against 6.5 kW of PV input
    report = check_system_size(lines(("INV-5KW", 1), ("PANEL-550W", 13)), CATALOG, 5.0)

    assert report.errors == [
        "13 x 550 W panels add up to 7.15 kW but the inverter accepts at most 6.5 kW of panels: "
        "remove 2 panels or choose an inverter with a larger PV input."
    ]


def test_panels_below_80_percent_of_the_inverter_are_a_warning_saying_how_many_to_add() -> None:
    # 4 x 550 W = 2.2 kW, under 80% of 5 kW (4 kW)
    report = check_system_size(lines(("INV-5KW", 1), ("PANEL-550W", 4)), CATALOG, 5.0)

    assert report.valid
    assert report.warnings == [
        "4 x 550 W panels add up to 2.2 kW, less than 80% of the 5 kW inverter power: "
        "add 4 panels to use the inverter fully."
    ]


def test_batteries_above_the_inverter_limit_are_an_error_saying_how_many_to_remove() -> None:
    report = check_system_size(lines(("INV-5KW", 1), ("BAT-5KWH", 5)), CATALOG, None)

    assert report.errors == [
        "The batteries add up to 25 kWh but the inverter supports at most 20 kWh: "
        "remove 1 battery (5 kWh each) or choose an inverter that takes more storage."
    ]


def test_a_battery_of_another_voltage_is_an_error() -> None:
    catalog = {
        **CATALOG,
        "BAT-24V": product("BAT-24V", "2.4 kWh 24 V Battery", "battery", capacity_kwh=2.4, nominal_voltage_v=24),
    }

    report = check_system_size(lines(("INV-5KW", 1), ("BAT-24V", 1)), catalog, None)

    assert report.errors == [
        "2.4 kWh 24 V Battery (BAT-24V) is a 24 V battery but 5 kW Hybrid Inverter (INV-5KW) works at 48 V: "
        "choose a 48 V battery or a matching inverter."
    ]


def test_a_51_2_volt_lifepo4_battery_on_a_48_volt_inverter_is_accepted() -> None:
    catalog = {
        **CATALOG,
        "BAT-LFP": product("BAT-LFP", "5.1 kWh LiFePO4", "battery", capacity_kwh=5.12, nominal_voltage_v=51.2),
    }

    report = check_system_size(lines(("INV-5KW", 1), ("BAT-LFP", 2)), catalog, None)

    assert report.valid
    assert report.errors == []


def test_missing_specs_are_warnings_that_say_what_cannot_be_checked() -> None:
    # given products without the specs the checks read
    catalog = {
        "INV-X": product("INV-X", "Unknown Inverter", "inverter"),
        "BAT-X": product("BAT-X", "Unknown Battery", "battery"),
        "PANEL-X": product("PANEL-X", "Unknown Panel", "solar_panel"),
    }
    # when the size is checked
    report = check_system_size(lines(("INV-X", 1), ("BAT-X", 1), ("PANEL-X", 10)), catalog, 5.0)
    # then nothing is an error and each gap is named
    assert report.valid
    assert report.errors == []
    assert report.warnings
    assert all(w.startswith("Cannot check") for w in report.warnings)
    assert any("rated power (rated_power_kw)" in w and "INV-X" in w for w in report.warnings)
    assert any("power (power_w)" in w and "PANEL-X" in w for w in report.warnings)
    assert any("capacity (capacity_kwh)" in w and "BAT-X" in w for w in report.warnings)
    assert any("nominal voltage" in w and "BAT-X" in w for w in report.warnings)


def test_two_inverters_add_up_their_power_and_limits() -> None:
    report = check_system_size(lines(("INV-5KW", 2), ("BAT-5KWH", 6), ("PANEL-550W", 20)), CATALOG, 10.0)

    assert report.valid
    assert report.warnings == []


def test_float_sums_do_not_raise_false_alarms() -> None:
    catalog = {"INV-1K1": product("INV-1K1", "1.1 kW Micro Inverter", "inverter", rated_power_kw=1.1)}

    report = check_system_size(lines(("INV-1K1", 3)), catalog, 3.3)

    assert report.valid


def test_panels_without_an_inverter_cannot_be_checked() -> None:
    report = check_system_size(lines(("PANEL-550W", 10)), CATALOG, 5.0)

    assert report.valid
    assert report.warnings == ["Cannot check the system size: there is no inverter in the package."]


@pytest.mark.parametrize("quantity", [1, 2])
def test_a_battery_only_order_does_not_crash_the_size_check(quantity: int) -> None:
    report = check_system_size(lines(("BAT-5KWH", quantity)), CATALOG, None)

    assert report.valid


# ---------------------------------------------------------------- validate_lines


def test_the_complete_system_is_valid_overall() -> None:
    report = validate_lines(COMPLETE_SYSTEM, CATALOG, RULES, 5.0)

    assert report.overall_valid


@pytest.mark.parametrize(
    ("package_lines", "stated_kw"),
    [
        pytest.param(lines(("INV-5KW", 1), ("BAT-1KWH", 2)), 5.0, id="incompatible pair"),
        pytest.param(COMPLETE_SYSTEM, 8.0, id="stated size too large"),
    ],
)
def test_the_package_is_invalid_overall_when_either_check_fails(
    package_lines: list[PackageItem], stated_kw: float
) -> None:
    report = validate_lines(package_lines, CATALOG, RULES, stated_kw)

    assert not report.overall_valid
    assert report.compatibility.valid != report.system_size.valid
