"""Catalog use cases: what the catalog API and the SSR workflow ask of the store and the rules engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from solar_core import errors
from solar_core.catalog import store
from solar_core.catalog.compatibility import check_pair, validate_lines
from solar_core.catalog.models import (
    CompatibilityRule,
    CompatibilityRuleIn,
    Package,
    PackageIn,
    PackageItem,
    PackageReport,
    PackageSummary,
    PackageValidation,
    Product,
    ProductPairCheck,
    ProductSummary,
    RuleType,
    WarrantyRule,
    WarrantyRuleIn,
)


def check_products(product_a_id: str, product_b_id: str) -> ProductPairCheck:
    """The verdict on two catalog products; `NotFound` names any unknown id."""
    products = _existing_products([product_a_id, product_b_id])
    a, b = products[product_a_id], products[product_b_id]
    check = check_pair(a, b, store.rules_for_products([a.id, b.id]))
    return ProductPairCheck(
        product_a=_summary(a),
        product_b=_summary(b),
        **check.model_dump(include={"compatible", "reason", "has_rule", "warning", "rule_type"}),
    )


def create_rule(body: CompatibilityRuleIn) -> CompatibilityRule:
    """A new rule between two different, existing products (`Unprocessable`, `NotFound`, `Conflict` otherwise)."""
    if body.product_a_id == body.product_b_id:
        raise errors.Unprocessable(
            "A compatibility rule needs two different products.",
            details=[{"field": "product_b_id", "problem": "equals product_a_id"}],
        )
    _existing_products([body.product_a_id, body.product_b_id])
    return store.create_rule(body)


def put_package(package_id: str, body: PackageIn) -> tuple[Package, bool]:
    """Create or replace a package whose items all name existing products; True when it is new."""
    _existing_products(item.product_id for item in body.items)
    return store.put_package(package_id, body)


def create_warranty_rule(body: WarrantyRuleIn) -> WarrantyRule:
    """A new warranty rule; a product-specific one must name an existing product."""
    if body.product_id is not None:
        _existing_products([body.product_id])
    return store.create_warranty_rule(body)


def validate_package(package_id: str) -> PackageValidation:
    """Both checks over a stored package, with the package's name and stated size."""
    package = store.get_package(package_id)
    report = validate_items(package.items, package.system_size_kw)
    return PackageValidation(
        package=PackageSummary(id=package.id, name=package.name, system_size=package.system_size_kw),
        **dict(report),
    )


def validate_items(
    lines: Sequence[PackageItem],
    stated_size_kw: float | None,
    known: Mapping[str, Product] | None = None,
    rule_set: store.RuleSet | None = None,
) -> PackageReport:
    """Load the lines' products (those not `known` already) and rules (fresh, unless a `rule_set` is given), then
    run the rules engine.

    Unknown product ids become error findings in the report (the SSR workflow flags the order), not exceptions.
    Products that a REQUIRES rule asks for are loaded too, so a missing one is named by name and SKU.
    """
    products = {line.product_id: known[line.product_id] for line in lines if known and line.product_id in known}
    missing = [line.product_id for line in lines if line.product_id not in products]
    if missing:
        products |= store.get_products(missing)
    rules = rule_set.for_products(products) if rule_set else store.rules_for_products(products)
    required = {rule.product_b_id for rule in rules if rule.rule_type is RuleType.REQUIRES} - products.keys()
    if required:
        products |= store.get_products(required)
    return validate_lines(lines, products, rules, stated_size_kw)


def _existing_products(product_ids: Iterable[str]) -> dict[str, Product]:
    wanted = list(dict.fromkeys(product_ids))
    products = store.get_products(wanted)
    unknown = [product_id for product_id in wanted if product_id not in products]
    if unknown:
        raise errors.NotFound(
            f"Unknown product{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            details=[{"product_id": product_id} for product_id in unknown],
        )
    return products


def _summary(product: Product) -> ProductSummary:
    return ProductSummary(id=product.id, name=product.name, sku=product.sku)
