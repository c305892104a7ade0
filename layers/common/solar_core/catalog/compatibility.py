"""The rules engine: pure checks of product pairs, required companions and system size (no I/O).

Size thresholds, chosen with the installers' rules of thumb:
- stated system size above the inverters' total rated power → error (the inverters cannot deliver it);
- stated size below half of the inverters' rated power → warning (inverter oversized or size mistyped);
- PV array (panels x power_w) above the inverters' total max PV input → error (the inverter would clip or trip);
- PV array below 80% of the inverters' rated power → warning (the inverter is not used fully);
- battery capacity above the inverters' total max_battery_kwh → error;
- battery nominal voltage more than 10% away from an inverter's → error (a 51.2 V LiFePO4 bank on a 48 V
  inverter is normal; 24 V on 48 V is not);
- a spec needed for a check missing → warning "Cannot check …", never an error.
Values are compared after rounding to 3 decimals so that float sums (3 x 1.1 kW) do not raise false alarms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from solar_core.catalog.models import (
    Category,
    CompatibilityReport,
    CompatibilityRule,
    PackageItem,
    PackageReport,
    PairCheck,
    Product,
    RuleType,
    SizeReport,
)

STATED_SIZE_FLOOR_RATIO = 0.5
PV_UNDERSIZED_RATIO = 0.8
VOLTAGE_TOLERANCE = 0.10

_SPEC_NAMES = {
    "rated_power_kw": "rated power (rated_power_kw)",
    "max_pv_input_kw": "maximum PV input (max_pv_input_kw)",
    "max_battery_kwh": "maximum battery capacity (max_battery_kwh)",
    "nominal_voltage_v": "nominal voltage (nominal_voltage_v)",
    "capacity_kwh": "capacity (capacity_kwh)",
    "power_w": "power (power_w)",
}


def rules_affecting(rules: Iterable[CompatibilityRule], product_ids: Iterable[str]) -> list[CompatibilityRule]:
    """The rules that can affect a set of products: pairs inside the set, and REQUIRES rules of its members (both
    name a member as product A), in one order whichever way they were read (by product A, then age)."""
    members = set(product_ids)
    found = [
        rule
        for rule in rules
        if rule.product_a_id in members and (rule.product_b_id in members or rule.rule_type is RuleType.REQUIRES)
    ]
    return sorted(found, key=lambda rule: (rule.product_a_id, rule.created_at, rule.rule_id))


def check_pair(a: Product, b: Product, rules: Iterable[CompatibilityRule]) -> PairCheck:
    """The verdict on two products: INCOMPATIBLE beats REQUIRES beats COMPATIBLE; no rule → compatible, warned."""
    if a.id == b.id:
        return _verdict(a, b, compatible=True, reason=f"{a.label} is the same product.", rule_type=None)
    pair = {a.id, b.id}
    matching = [rule for rule in rules if rule.is_active and {rule.product_a_id, rule.product_b_id} == pair]
    by_type = {rule_type: [r for r in matching if r.rule_type is rule_type] for rule_type in RuleType}
    if incompatible := by_type[RuleType.INCOMPATIBLE]:
        reason = incompatible[0].reason or "The catalog marks these two products as incompatible."
        return _verdict(a, b, compatible=False, reason=reason, rule_type=RuleType.INCOMPATIBLE)
    if requires := by_type[RuleType.REQUIRES]:
        return _verdict(a, b, compatible=True, reason=_requirement_reason(a, b, requires), rule_type=RuleType.REQUIRES)
    if compatible := by_type[RuleType.COMPATIBLE]:
        reason = compatible[0].reason or "The catalog approves these two products together."
        return _verdict(a, b, compatible=True, reason=reason, rule_type=RuleType.COMPATIBLE)
    return PairCheck(
        product_a_id=a.id,
        product_b_id=b.id,
        compatible=True,
        reason=f"No compatibility rule exists for {a.label} and {b.label}; ask the technical team to confirm them.",
        has_rule=False,
        warning=True,
    )


def check_compatibility(
    lines: Sequence[PackageItem], products: Mapping[str, Product], rules: Sequence[CompatibilityRule]
) -> CompatibilityReport:
    """Every pair of distinct products, every REQUIRES rule, and batteries that have no inverter to work with."""
    present = _distinct_products(lines, products)
    errors = [
        f"Product {product_id} is not in the catalog; remove it or add it to the catalog first."
        for product_id in dict.fromkeys(line.product_id for line in lines)
        if product_id not in products
    ]
    warnings: list[str] = []
    rules_by_pair: dict[frozenset[str], list[CompatibilityRule]] = {}
    for rule in rules:
        rules_by_pair.setdefault(frozenset((rule.product_a_id, rule.product_b_id)), []).append(rule)
    checks = []
    for a, b in combinations(present, 2):
        check = check_pair(a, b, rules_by_pair.get(frozenset((a.id, b.id)), ()))
        checks.append(check)
        if not check.compatible:
            errors.append(f"{a.label} and {b.label} are not compatible: {check.reason}")
        elif check.warning:
            warnings.append(check.reason)
    errors.extend(_missing_requirements(present, products, rules))
    batteries = [p for p in present if p.category is Category.BATTERY]
    if batteries and not any(p.category is Category.INVERTER for p in present):
        labels = ", ".join(p.label for p in batteries)
        errors.append(f"The batteries ({labels}) have no inverter to charge and discharge them: add a hybrid inverter.")
    return CompatibilityReport(valid=not errors, errors=errors, warnings=warnings, compatibility_checks=checks)


def check_system_size(
    lines: Sequence[PackageItem], products: Mapping[str, Product], stated_size_kw: float | None
) -> SizeReport:
    """Stated size, PV array and batteries measured against the inverters' specs (thresholds: module docstring)."""
    equipment = _Equipment.of(lines, products)
    findings = _Findings()
    if not equipment.inverters:
        if equipment.panels or stated_size_kw is not None:
            findings.warnings.append("Cannot check the system size: there is no inverter in the package.")
        return findings.report()
    inverter_kw = findings.total(equipment.inverters, "rated_power_kw", "the inverter power")
    if inverter_kw is not None and stated_size_kw is not None:
        _check_stated_size(stated_size_kw, inverter_kw, findings)
    if equipment.panels:
        _check_pv_array(equipment, inverter_kw, findings)
    if equipment.batteries:
        _check_batteries(equipment, findings)
    return findings.report()


def validate_lines(
    lines: Sequence[PackageItem],
    products: Mapping[str, Product],
    rules: Sequence[CompatibilityRule],
    stated_size_kw: float | None,
) -> PackageReport:
    """Both checks of a package or order; valid overall only when both are."""
    compatibility = check_compatibility(lines, products, rules)
    system_size = check_system_size(lines, products, stated_size_kw)
    return PackageReport(
        compatibility=compatibility,
        system_size=system_size,
        overall_valid=compatibility.valid and system_size.valid,
    )


def _verdict(a: Product, b: Product, *, compatible: bool, reason: str, rule_type: RuleType | None) -> PairCheck:
    return PairCheck(
        product_a_id=a.id,
        product_b_id=b.id,
        compatible=compatible,
        reason=reason,
        has_rule=rule_type is not None,
        warning=False,
        rule_type=rule_type,
    )


def _requirement_reason(a: Product, b: Product, requires: list[CompatibilityRule]) -> str:
    if {rule.product_a_id for rule in requires} == {a.id, b.id}:
        return f"{a.label} and {b.label} require each other."
    rule = requires[0]
    needs, needed = (a, b) if rule.product_a_id == a.id else (b, a)
    sentence = f"{needs.label} requires {needed.label}."
    return f"{sentence[:-1]}: {rule.reason}" if rule.reason else sentence


def _distinct_products(lines: Sequence[PackageItem], products: Mapping[str, Product]) -> list[Product]:
    return [products[pid] for pid in dict.fromkeys(line.product_id for line in lines) if pid in products]


def _missing_requirements(
    present: list[Product], products: Mapping[str, Product], rules: Sequence[CompatibilityRule]
) -> list[str]:
    present_ids = {p.id for p in present}
    missing = dict.fromkeys(
        (rule.product_a_id, rule.product_b_id)
        for rule in rules
        if rule.is_active
        and rule.rule_type is RuleType.REQUIRES
        and rule.product_a_id in present_ids
        and rule.product_b_id not in present_ids
    )
    messages = []
    for needs_id, needed_id in missing:
        needs = products[needs_id]
        needed = products[needed_id].label if needed_id in products else f"product {needed_id}"
        messages.append(f"{needs.label} requires {needed}, which is missing: add it or remove {needs.name}.")
    return messages


@dataclass(frozen=True)
class _Counted:
    product: Product
    quantity: int


@dataclass(frozen=True)
class _Equipment:
    inverters: list[_Counted]
    panels: list[_Counted]
    batteries: list[_Counted]

    @classmethod
    def of(cls, lines: Sequence[PackageItem], products: Mapping[str, Product]) -> _Equipment:
        """Quantities per known product (repeated lines add up), grouped by what the size checks read."""
        quantities: dict[str, int] = {}
        for line in lines:
            if line.product_id in products:
                quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
        counted = [_Counted(products[pid], quantity) for pid, quantity in quantities.items()]

        def of_category(category: Category) -> list[_Counted]:
            return [c for c in counted if c.product.category is category]

        return cls(of_category(Category.INVERTER), of_category(Category.SOLAR_PANEL), of_category(Category.BATTERY))


@dataclass
class _Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> SizeReport:
        return SizeReport(valid=not self.errors, errors=self.errors, warnings=self.warnings)

    def known(self, items: list[_Counted], spec: str, purpose: str) -> list[tuple[Product, float]]:
        """Each product with its `spec` value; a product lacking it gets a "Cannot check" warning instead."""
        values = []
        for product in (c.product for c in items):
            value = getattr(product.specs, spec)
            if value is None:
                self.warnings.append(
                    f"Cannot check {purpose}: {product.label} has no {_SPEC_NAMES[spec]} in its specs; "
                    "add it to the product."
                )
            else:
                values.append((product, float(value)))
        return values

    def total(self, items: list[_Counted], spec: str, purpose: str) -> float | None:
        """Sum of `spec` x quantity, or None (with a warning) when a product lacks the spec."""
        values = self.known(items, spec, purpose)
        if len(values) < len(items):
            return None
        return sum(value * c.quantity for (_, value), c in zip(values, items, strict=True))


def _check_stated_size(stated_kw: float, inverter_kw: float, findings: _Findings) -> None:
    if _rounded(stated_kw) > _rounded(inverter_kw):
        findings.errors.append(
            f"The system is sold as {_num(stated_kw)} kW but its inverter power is only {_num(inverter_kw)} kW: "
            f"lower the stated size to {_num(inverter_kw)} kW or choose a larger inverter."
        )
    elif _rounded(stated_kw) < _rounded(STATED_SIZE_FLOOR_RATIO * inverter_kw):
        findings.warnings.append(
            f"The system is sold as {_num(stated_kw)} kW but its inverter power is {_num(inverter_kw)} kW, "
            "more than twice that: check the stated size or choose a smaller inverter."
        )


def _check_pv_array(equipment: _Equipment, inverter_kw: float | None, findings: _Findings) -> None:
    panels = equipment.panels
    pv_w = findings.total(panels, "power_w", "the solar panels")
    max_pv_kw = findings.total(equipment.inverters, "max_pv_input_kw", "the solar panels")
    if pv_w is None:
        return
    single = panels[0].product.specs.power_w if len(panels) == 1 else None
    array = f"{sum(c.quantity for c in panels)} x {_num(single)} W panels" if single else "The panels"
    if max_pv_kw is not None and _rounded(pv_w / 1000) > _rounded(max_pv_kw):
        change = (
            f"remove {_count(math.ceil((pv_w - max_pv_kw * 1000) / single), 'panel')}" if single else "remove panels"
        )
        findings.errors.append(
            f"{array} add up to {_num(pv_w / 1000)} kW but the inverter accepts at most {_num(max_pv_kw)} kW of "
            f"panels: {change} or choose an inverter with a larger PV input."
        )
    elif inverter_kw is not None and _rounded(pv_w / 1000) < _rounded(PV_UNDERSIZED_RATIO * inverter_kw):
        change = "add panels"
        if single:
            change = f"add {_count(math.ceil((PV_UNDERSIZED_RATIO * inverter_kw * 1000 - pv_w) / single), 'panel')}"
        findings.warnings.append(
            f"{array} add up to {_num(pv_w / 1000)} kW, less than {PV_UNDERSIZED_RATIO:.0%} of the "
            f"{_num(inverter_kw)} kW inverter power: {change} to use the inverter fully."
        )


def _check_batteries(equipment: _Equipment, findings: _Findings) -> None:
    batteries = equipment.batteries
    capacity_kwh = findings.total(batteries, "capacity_kwh", "the battery capacity")
    max_kwh = findings.total(equipment.inverters, "max_battery_kwh", "the battery capacity")
    if capacity_kwh is not None and max_kwh is not None and _rounded(capacity_kwh) > _rounded(max_kwh):
        single = batteries[0].product.specs.capacity_kwh if len(batteries) == 1 else None
        change = "remove batteries"
        if single:
            change = (
                f"remove {_count(math.ceil((capacity_kwh - max_kwh) / single), 'battery')} ({_num(single)} kWh each)"
            )
        findings.errors.append(
            f"The batteries add up to {_num(capacity_kwh)} kWh but the inverter supports at most {_num(max_kwh)} kWh: "
            f"{change} or choose an inverter that takes more storage."
        )
    battery_volts = findings.known(batteries, "nominal_voltage_v", "the battery voltage")
    inverter_volts = findings.known(equipment.inverters, "nominal_voltage_v", "the battery voltage")
    for battery, battery_v in battery_volts:
        for inverter, inverter_v in inverter_volts:
            if abs(battery_v - inverter_v) > VOLTAGE_TOLERANCE * inverter_v:
                findings.errors.append(
                    f"{battery.label} is a {_num(battery_v)} V battery but {inverter.label} works at "
                    f"{_num(inverter_v)} V: choose a {_num(inverter_v)} V battery or a matching inverter."
                )


def _rounded(value: float) -> float:
    return round(value, 3)


def _num(value: float) -> str:
    """5.0 → "5", 6.6000000001 → "6.6": numbers as a person writes them."""
    return f"{round(value, 2):g}"


def _count(quantity: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{quantity} {noun if quantity == 1 else plural}"
