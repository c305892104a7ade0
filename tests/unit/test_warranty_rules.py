"""Warranty precedence (product rule > category rule > product's warranty_days > 365) and warranties per line/serial."""

from __future__ import annotations

from datetime import date
from typing import Any

from solar_core.catalog.models import Product, WarrantyRule
from solar_core.installations.warranties import DEFAULT_WARRANTY_DAYS, plan_warranties, warranty_term
from solar_core.orders.models import OrderLine

STAMP = "2026-11-25T10:00:00Z"


def product(product_id: str = "INV-5KW", category: str = "inverter", **extra: Any) -> Product:
    return Product(
        id=product_id,
        sku=product_id,
        name=f"{product_id} name",
        category=category,
        created_at=STAMP,
        updated_at=STAMP,
        **extra,
    )


def rule(
    rule_id: str,
    days: int,
    *,
    product_id: str | None = None,
    category: str | None = None,
    priority: int = 0,
    is_active: bool = True,
) -> WarrantyRule:
    return WarrantyRule(
        rule_id=rule_id,
        created_at=STAMP,
        product_id=product_id,
        category=category,
        duration_days=days,
        priority=priority,
        is_active=is_active,
    )


def test_a_product_rule_beats_a_category_rule_even_with_a_lower_priority() -> None:
    # given a category rule of higher priority and a product rule
    rules = [rule("cat", 730, category="inverter", priority=9), rule("prod", 1825, product_id="INV-5KW", priority=0)]
    # when the inverter's term is chosen
    term = warranty_term(product(), rules)
    # then the product rule wins
    assert (term.duration_days, term.source) == (1825, "product_rule:prod")


def test_a_category_rule_applies_when_the_product_has_no_rule_of_its_own() -> None:
    term = warranty_term(product(), [rule("cat", 730, category="inverter"), rule("other", 99, product_id="BAT")])
    assert (term.duration_days, term.source) == (730, "category_rule:cat")


def test_between_rules_of_one_kind_the_higher_priority_wins() -> None:
    rules = [rule("low", 3650, category="inverter", priority=1), rule("high", 730, category="inverter", priority=5)]
    assert warranty_term(product(), rules).duration_days == 730


def test_equal_priorities_give_the_customer_the_longer_warranty_whatever_the_listing_order() -> None:
    rules = [rule("a", 730, category="inverter"), rule("b", 1095, category="inverter")]
    assert warranty_term(product(), rules).duration_days == 1095
    assert warranty_term(product(), list(reversed(rules))).duration_days == 1095


def test_inactive_rules_and_rules_of_other_categories_are_ignored() -> None:
    rules = [rule("off", 3650, product_id="INV-5KW", is_active=False), rule("bat", 730, category="battery")]
    assert warranty_term(product(), rules).source == "default"


def test_the_products_own_warranty_days_apply_when_no_rule_matches() -> None:
    term = warranty_term(product(warranty_days=1000), [rule("bat", 730, category="battery")])
    assert (term.duration_days, term.source) == (1000, "product")


def test_a_rule_beats_the_products_own_warranty_days() -> None:
    assert warranty_term(product(warranty_days=1000), [rule("cat", 730, category="inverter")]).duration_days == 730


def test_without_any_rule_or_product_days_a_warranty_runs_365_days() -> None:
    assert warranty_term(product(), []).duration_days == DEFAULT_WARRANTY_DAYS == 365


def test_a_line_without_serials_gets_one_warranty_and_a_serialised_line_one_per_serial() -> None:
    # given an inverter line without serials and a battery line with two (one blank entry)
    products = {"INV-5KW": product(), "BAT-5KWH": product("BAT-5KWH", "battery")}
    lines = [
        (1, OrderLine(product_id="INV-5KW", quantity=1)),
        (3, OrderLine(product_id="BAT-5KWH", quantity=2, serial_numbers=["SN-1", " ", "SN-2"])),
    ]
    # when warranties are planned from 2026-11-25 with a 730-day inverter rule
    planned = plan_warranties(lines, products, [rule("cat", 730, category="inverter")], date(2026, 11, 25))
    # then the inverter line has one warranty and each battery serial its own, 365 days each
    assert [(p.line_number, p.serial_number_index, p.serial_number, p.quantity) for p in planned] == [
        (1, None, None, 1),
        (3, 1, "SN-1", 1),
        (3, 2, "SN-2", 1),
    ]
    assert [(p.term.duration_days, p.end_date.isoformat()) for p in planned] == [
        (730, "2028-11-24"),
        (365, "2027-11-25"),
        (365, "2027-11-25"),
    ]
