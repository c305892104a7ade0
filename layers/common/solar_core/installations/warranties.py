"""Warranty terms for the solar lines of an order: which rule applies and which warranties a line gets (pure).

Precedence for a product's duration, best first:
1. an active warranty rule for the product itself (higher priority first),
2. an active rule for the product's category (higher priority first),
3. the product's own `warranty_days`,
4. 365 days.
Between rules of equal priority the longer duration wins (the customer-friendly reading), then the rule id, so the
choice never depends on the order rules were listed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from solar_core.catalog.models import Product, WarrantyRule
from solar_core.orders.models import OrderLine

DEFAULT_WARRANTY_DAYS = 365


@dataclass(frozen=True)
class WarrantyTerm:
    duration_days: int
    source: str


@dataclass(frozen=True)
class PlannedWarranty:
    """One warranty to create: for a whole line, or for one serial number of it."""

    line_number: int
    serial_number_index: int | None
    product_id: str
    product_name: str
    serial_number: str | None
    quantity: int
    start_date: date
    end_date: date
    term: WarrantyTerm


def _best(rules: Sequence[WarrantyRule]) -> WarrantyRule | None:
    return max(rules, key=lambda rule: (rule.priority, rule.duration_days, rule.rule_id), default=None)


def warranty_term(product: Product, rules: Sequence[WarrantyRule]) -> WarrantyTerm:
    """The duration a product's warranty runs for, and where that duration came from."""
    active = [rule for rule in rules if rule.is_active]
    product_rule = _best([rule for rule in active if rule.product_id == product.id])
    if product_rule is not None:
        return WarrantyTerm(product_rule.duration_days, f"product_rule:{product_rule.rule_id}")
    category_rule = _best([rule for rule in active if rule.product_id is None and rule.category == product.category])
    if category_rule is not None:
        return WarrantyTerm(category_rule.duration_days, f"category_rule:{category_rule.rule_id}")
    if product.warranty_days:
        return WarrantyTerm(product.warranty_days, "product")
    return WarrantyTerm(DEFAULT_WARRANTY_DAYS, "default")


def plan_warranties(
    lines: Sequence[tuple[int, OrderLine]],
    products: dict[str, Product],
    rules: Sequence[WarrantyRule],
    start: date,
) -> list[PlannedWarranty]:
    """One warranty per solar line, or one per serial number when the line lists them.

    `lines` are (1-based position in the order, line) pairs of the solar lines; every product must be known.
    """
    planned: list[PlannedWarranty] = []
    for line_number, line in lines:
        product = products[line.product_id]
        term = warranty_term(product, rules)
        end = start + timedelta(days=term.duration_days)
        serials = [serial.strip() for serial in line.serial_numbers if serial.strip()]
        if not serials:
            planned.append(
                PlannedWarranty(line_number, None, product.id, product.name, None, line.quantity, start, end, term)
            )
            continue
        for index, serial in enumerate(serials, start=1):
            planned.append(PlannedWarranty(line_number, index, product.id, product.name, serial, 1, start, end, term))
    return planned
