"""The record set a paid solar order gets, computed from the order, its products and the warranty rules (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from solar_core.catalog.models import Product, WarrantyRule
from solar_core.installations import ids
from solar_core.installations.clock import iso
from solar_core.installations.models import (
    AuditEntry,
    InstallationRequest,
    InstallationStatus,
    ServiceSystemRecord,
    SsrStatus,
    Warranty,
)
from solar_core.installations.records import RecordSet
from solar_core.installations.system import NumberedLine, equipment, system_size_kw, system_type
from solar_core.installations.warranties import plan_warranties
from solar_core.orders.models import Order


def plan_record_set(
    order: Order,
    *,
    solar_lines: Sequence[NumberedLine],
    products: dict[str, Product],
    rules: Sequence[WarrantyRule],
    ssr_id: str,
    at: datetime,
) -> RecordSet:
    """SSR (PENDING), installation request (pending), one warranty per solar line or serial, and the audit entry.

    Only the solar lines count: a partial order's other lines (services, cables, …) get no SSR share or warranty.
    """
    created_at = iso(at)
    kind = system_type(solar_lines, products)
    request_id = ids.installation_request_id(ssr_id)
    ssr = ServiceSystemRecord(
        ssr_id=ssr_id,
        order_id=order.order_id,
        status=SsrStatus.PENDING,
        system_size_kw=system_size_kw(solar_lines, products),
        system_type=kind,
        created_at=created_at,
        installation_request_id=request_id,
        equipment=equipment(solar_lines, products),
    )
    request = InstallationRequest(
        id=request_id,
        status=InstallationStatus.PENDING,
        installation_type=kind,
        customer_name=order.customer.full_name,
        phone=order.customer.phone,
        address=order.customer.address,
    )
    warranties = [
        Warranty(
            warranty_id=ids.warranty_id(ssr_id, planned.line_number, planned.serial_number_index),
            product_id=planned.product_id,
            product_name=planned.product_name,
            serial_number=planned.serial_number,
            quantity=planned.quantity,
            start_date=planned.start_date.isoformat(),
            end_date=planned.end_date.isoformat(),
            duration_days=planned.term.duration_days,
            rule_source=planned.term.source,
        )
        for planned in plan_warranties(solar_lines, products, rules, at.date())
    ]
    audit = AuditEntry(
        at=created_at,
        action="ssr_created",
        detail=(
            f"SSR {ssr_id} ({kind.value}) and installation request {request_id} created "
            f"with {len(warranties)} warranties."
        ),
    )
    return RecordSet(
        ssr=ssr, installation_request=request, warranties=warranties, branch_id=order.branch_id, audit=audit
    )
