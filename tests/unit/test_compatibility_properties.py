"""Properties of the rules engine over generated catalogs, rules and packages."""

from __future__ import annotations

from math import comb

from hypothesis import given, settings
from hypothesis import strategies as st

from solar_core.catalog.compatibility import check_compatibility, check_pair, check_system_size
from solar_core.catalog.models import (
    Category,
    CompatibilityRule,
    PackageItem,
    PairCheck,
    Product,
    ProductSpecs,
    RuleType,
)

NOW = "2026-11-25T10:00:00Z"
IDS = ("INV-5KW", "BAT-5KWH", "BAT-1KWH", "PANEL-550W", "CC-60A")

specs = st.builds(
    ProductSpecs,
    rated_power_kw=st.none() | st.floats(0, 50),
    max_pv_input_kw=st.none() | st.floats(0, 80),
    max_battery_kwh=st.none() | st.floats(0, 100),
    nominal_voltage_v=st.none() | st.floats(0, 800),
    capacity_kwh=st.none() | st.floats(0, 30),
    power_w=st.none() | st.floats(0, 800),
)


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Product]:
    return {
        product_id: Product(
            id=product_id,
            sku=product_id,
            name=f"Product {product_id}",
            category=draw(st.sampled_from(Category)),
            specs=draw(specs),
            created_at=NOW,
            updated_at=NOW,
        )
        for product_id in IDS
    }


@st.composite
def rule_sets(draw: st.DrawFn) -> list[CompatibilityRule]:
    rules = []
    for index in range(draw(st.integers(0, 8))):
        a, b = draw(st.lists(st.sampled_from(IDS), min_size=2, max_size=2, unique=True))
        rules.append(
            CompatibilityRule(
                rule_id=f"R{index}",
                product_a_id=a,
                product_b_id=b,
                rule_type=draw(st.sampled_from(RuleType)),
                is_active=draw(st.booleans()),
                created_at=NOW,
            )
        )
    return rules


package_lines = st.lists(
    st.builds(PackageItem, product_id=st.sampled_from(IDS), quantity=st.integers(1, 40)), max_size=8
)
pairs = st.lists(st.sampled_from(IDS), min_size=2, max_size=2, unique=True)


def _pairs(checks: list[PairCheck]) -> dict[frozenset[str], bool]:
    return {frozenset((check.product_a_id, check.product_b_id)): check.compatible for check in checks}


def _verdict(check: PairCheck) -> tuple[object, ...]:
    return check.compatible, check.has_rule, check.warning, check.rule_type


@given(catalog=catalogs(), rules=rule_sets(), pair=pairs)
def test_a_pair_gets_the_same_verdict_in_either_order(
    catalog: dict[str, Product], rules: list[CompatibilityRule], pair: list[str]
) -> None:
    # given two products and any rules
    a, b = (catalog[product_id] for product_id in pair)
    # when checked as (a, b) and as (b, a)
    forwards, backwards = check_pair(a, b, rules), check_pair(b, a, rules)
    # then the verdict is the same
    assert _verdict(forwards) == _verdict(backwards)


@given(catalog=catalogs(), rules=rule_sets(), pair=pairs)
def test_inactive_rules_never_change_a_verdict(
    catalog: dict[str, Product], rules: list[CompatibilityRule], pair: list[str]
) -> None:
    a, b = (catalog[product_id] for product_id in pair)

    active_only = [rule for rule in rules if rule.is_active]

    assert check_pair(a, b, rules) == check_pair(a, b, active_only)


@given(catalog=catalogs(), rules=rule_sets(), pair=pairs)
def test_an_active_incompatible_rule_always_wins(
    catalog: dict[str, Product], rules: list[CompatibilityRule], pair: list[str]
) -> None:
    a, b = (catalog[product_id] for product_id in pair)
    blocking = CompatibilityRule(
        rule_id="BLOCK", product_a_id=b.id, product_b_id=a.id, rule_type=RuleType.INCOMPATIBLE, created_at=NOW
    )

    check = check_pair(a, b, [*rules, blocking])

    assert not check.compatible
    assert check.rule_type is RuleType.INCOMPATIBLE


@given(catalog=catalogs(), rules=rule_sets(), lines=package_lines)
def test_every_distinct_pair_is_checked_once_and_validity_means_no_errors(
    catalog: dict[str, Product], rules: list[CompatibilityRule], lines: list[PackageItem]
) -> None:
    report = check_compatibility(lines, catalog, rules)

    distinct = {line.product_id for line in lines}
    assert len(report.compatibility_checks) == comb(len(distinct), 2)
    assert report.valid == (report.errors == [])


@given(catalog=catalogs(), rules=rule_sets(), lines=package_lines, data=st.data())
def test_the_order_of_lines_does_not_change_the_findings(
    catalog: dict[str, Product], rules: list[CompatibilityRule], lines: list[PackageItem], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(lines))

    report, reordered = check_compatibility(lines, catalog, rules), check_compatibility(shuffled, catalog, rules)
    assert report.valid == reordered.valid
    assert len(report.errors) == len(reordered.errors)
    assert _pairs(report.compatibility_checks) == _pairs(reordered.compatibility_checks)

    size, resized = check_system_size(lines, catalog, 5.0), check_system_size(shuffled, catalog, 5.0)
    assert size.valid == resized.valid
    assert len(size.errors) == len(resized.errors)


@settings(max_examples=200)
@given(catalog=catalogs(), lines=package_lines, stated=st.none() | st.floats(0, 100))
def test_the_size_check_answers_for_any_specs_and_is_valid_exactly_without_errors(
    catalog: dict[str, Product], lines: list[PackageItem], stated: float | None
) -> None:
    report = check_system_size(lines, catalog, stated)

    assert report.valid == (report.errors == [])
    assert all(message.endswith(".") for message in [*report.errors, *report.warnings])
