"""The catalog's API models: ids, warranty rule scope, timestamps and the solar flag."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from solar_core.catalog.models import CheckProductsIn, PackageItem, Product, WarrantyRuleIn
from solar_core.orders.models import OrderIn


def test_a_json_number_given_as_an_id_is_its_decimal_string() -> None:
    pair = CheckProductsIn.model_validate({"product_a_id": 42, "product_b_id": "INV-5KW"})

    assert pair.product_a_id == "42"


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_package_line_needs_a_positive_quantity(quantity: int) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        PackageItem(product_id="INV-5KW", quantity=quantity)


def test_a_warranty_rule_must_name_a_product_or_a_category() -> None:
    with pytest.raises(ValidationError, match="product_id or category"):
        WarrantyRuleIn(duration_days=365)


def test_a_category_warranty_rule_is_accepted() -> None:
    rule = WarrantyRuleIn.model_validate({"category": "inverter", "duration_days": 730, "priority": 10})

    assert rule.product_id is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"),
        ("2026-11-25T12:00:00+02:00", "2026-11-25T10:00:00Z"),
        ("2026-11-25T10:00:00.250000", "2026-11-25T10:00:00.250000Z"),
    ],
    ids=["Z", "offset", "naive means UTC"],
)
def test_an_order_timestamp_is_kept_in_utc_with_z(given: str, stored: str) -> None:
    body = {
        "order_number": "SO-1",
        "stage": "lead",
        "payment_status": "pending",
        "customer": {"customer_id": "C-1", "first_name": "Jane"},
        "updated_at": given,
    }

    assert OrderIn.model_validate(body).updated_at == stored


@pytest.mark.parametrize(
    ("category", "is_solar", "solar"),
    [("inverter", None, True), ("mounting", None, False), ("mounting", True, True), ("solar_panel", False, False)],
)
def test_a_product_is_solar_by_category_unless_it_says_otherwise(
    category: str, is_solar: bool | None, solar: bool
) -> None:
    product = Product(
        id="P-1",
        sku="P-1",
        name="Product",
        category=category,
        is_solar=is_solar,
        created_at="2026-11-25T10:00:00Z",
        updated_at="2026-11-25T10:00:00Z",
    )

    assert product.solar is solar
