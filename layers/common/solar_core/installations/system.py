"""What solar system an order describes: its solar lines, their size and type, and its main equipment (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from solar_core.catalog.models import Category, PackageItem, Product
from solar_core.installations.models import EquipmentLine, SystemType
from solar_core.orders.models import Order, OrderLine

NumberedLine = tuple[int, OrderLine]


@dataclass(frozen=True)
class LineSplit:
    """The order's lines by whether the SSR covers them; positions are 1-based, as staff count lines.

    A line whose product is not in the catalog counts as solar: validation then flags the order for staff
    instead of the automation silently skipping equipment nobody can identify.
    """

    solar: list[NumberedLine]
    other: list[NumberedLine]
    unknown_product_ids: list[str]


def split_lines(order: Order, products: dict[str, Product]) -> LineSplit:
    solar: list[NumberedLine] = []
    other: list[NumberedLine] = []
    unknown: list[str] = []
    for position, line in enumerate(order.items, start=1):
        product = products.get(line.product_id)
        if product is None:
            unknown.append(line.product_id)
            solar.append((position, line))
        elif product.solar:
            solar.append((position, line))
        else:
            other.append((position, line))
    return LineSplit(solar, other, unknown)


def validation_items(lines: Sequence[NumberedLine]) -> list[PackageItem]:
    """The lines as catalog package items, one per product (quantities summed), for the compatibility engine."""
    quantities: dict[str, int] = {}
    for _, line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    return [PackageItem(product_id=product_id, quantity=quantity) for product_id, quantity in quantities.items()]


def _of_category(lines: Sequence[NumberedLine], products: dict[str, Product], category: Category) -> list[NumberedLine]:
    return [(n, line) for n, line in lines if products[line.product_id].category is category]


def system_size_kw(lines: Sequence[NumberedLine], products: dict[str, Product]) -> float | None:
    """The inverters' rated power; without rated inverters, the PV array's power; else unknown."""
    inverter_kw = sum(
        (products[line.product_id].specs.rated_power_kw or 0.0) * line.quantity
        for _, line in _of_category(lines, products, Category.INVERTER)
    )
    if inverter_kw > 0:
        return round(inverter_kw, 3)
    array_w = sum(
        (products[line.product_id].specs.power_w or 0.0) * line.quantity
        for _, line in _of_category(lines, products, Category.SOLAR_PANEL)
    )
    if array_w > 0:
        return round(array_w / 1000, 3)
    return None


def system_type(lines: Sequence[NumberedLine], products: dict[str, Product]) -> SystemType:
    """Hybrid when an inverter of the order says `specs.hybrid: true`, else solar."""
    hybrid = any(
        products[line.product_id].specs.hybrid is True for _, line in _of_category(lines, products, Category.INVERTER)
    )
    return SystemType.HYBRID if hybrid else SystemType.SOLAR


def equipment(lines: Sequence[NumberedLine], products: dict[str, Product]) -> list[EquipmentLine]:
    """The solar lines per product, in order of first appearance, with their summed quantities."""
    summary: dict[str, EquipmentLine] = {}
    for _, line in lines:
        product = products[line.product_id]
        known = summary.get(product.id)
        quantity = line.quantity + (known.quantity if known else 0)
        summary[product.id] = EquipmentLine(
            product_id=product.id, name=product.name, category=product.category.value, quantity=quantity
        )
    return list(summary.values())
