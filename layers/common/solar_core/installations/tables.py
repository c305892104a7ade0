"""The Installations table's items as pynamodb models: one polymorphic model per kind of item, keyed pk/sk.

Layout (every item that the read API shows carries `order_id`, so the ByOrder index returns them in one query):

| pk | sk | kind | in ByOrder |
| --- | --- | --- | --- |
| `ORDER#<order_id>` | `AUTOMATION` | automation state (running/created/skipped/flagged/failed), reason, ssr id* | yes |
| `ORDER#<order_id>` | `SSR` | the one-SSR-per-order guard: ssr id, installation request id, system type and size | no |
| `ORDER#<order_id>` | `AUDIT#<action>[#r<attempt>]` | audit entry (first write wins, so a replay adds none) | yes |
| `ORDER#<order_id>` | `MARKER#<side effect>` | once-only claim for an email, a staff notice, a sync request | no |
| `ORDER#<order_id>` | `REJECTED#<stream sequence number>` | a malformed order item seen on the stream | no |
| `SSR#<ssr_id>` | `SSR` | the SSR | yes |
| `SSR#<ssr_id>` | `IR#<installation_request_id>` | the installation request | yes |
| `SSR#<ssr_id>` | `WARRANTY#<warranty_id>` | one warranty | yes |
| `CREWS` | `CREW#<crew_id>` | a crew (solar_core/scheduling/tables.py) | no |
| `CREW#<crew_id>` | `DAY#<date>` / `DAY#<date>#OFF` | a crew's booked count that day / its day off | no |

* also in the sparse NeedsAttention index (attention, updated_at) while flagged or failed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from solar_core.settings import get_settings

GUARD_SK = "SSR"
SSR_SK = "SSR"
AUTOMATION_SK = "AUTOMATION"


_MapT = TypeVar("_MapT", bound=MapAttribute[str, Any])


def as_map(map_type: type[_MapT], values: dict[str, Any]) -> _MapT:
    """A typed map attribute holding `values`."""
    return map_type(**values)


def plain(value: MapAttribute[str, Any]) -> dict[str, Any]:
    """The map's values as a plain dict."""
    result: dict[str, Any] = value.as_dict()  # type: ignore[no-untyped-call]
    return result


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def ssr_pk(ssr_id: str) -> str:
    return f"SSR#{ssr_id}"


class ByOrderIndex(GlobalSecondaryIndex["InstallationItem"]):  # type: ignore[no-untyped-call]
    """GSI ByOrder(order_id, sk): everything the read API shows for one order."""

    class Meta:
        index_name = "ByOrder"
        projection = AllProjection()

    order_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class NeedsAttentionIndex(GlobalSecondaryIndex["InstallationItem"]):  # type: ignore[no-untyped-call]
    """GSI NeedsAttention(attention, updated_at), sparse: only automation states staff must act on (flagged, failed)
    carry `attention`, so listing them reads those items alone, newest last."""

    class Meta:
        index_name = "NeedsAttention"
        projection = AllProjection()

    attention = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class InstallationItem(Model):
    """Base of every item in the Installations table; `kind` tells which one a raw item is."""

    class Meta:
        table_name = get_settings().installations_table
        region = get_settings().aws_region

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    by_order = ByOrderIndex()


class AutomationItem(InstallationItem, discriminator="automation"):
    order_id = UnicodeAttribute()
    state = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    ssr_id = UnicodeAttribute(null=True)
    execution_name = UnicodeAttribute(null=True)
    # 1 (absent) for the stream's run; a staff re-run counts on from the attempt it replaces.
    attempt = NumberAttribute(null=True)
    updated_at = UnicodeAttribute()
    # The state again while staff must act on it (flagged, failed), absent otherwise: the NeedsAttention index's key.
    attention = UnicodeAttribute(null=True)
    needs_attention = NeedsAttentionIndex()


class OrderGuardItem(InstallationItem, discriminator="order_guard"):
    ssr_id = UnicodeAttribute()
    installation_request_id = UnicodeAttribute()
    system_type = UnicodeAttribute()
    system_size_kw = NumberAttribute(null=True)
    created_at = UnicodeAttribute()


class AuditItem(InstallationItem, discriminator="audit"):
    order_id = UnicodeAttribute()
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    detail = UnicodeAttribute()
    ssr_id = UnicodeAttribute(null=True)


class MarkerItem(InstallationItem, discriminator="marker"):
    status = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    claimed_by = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(null=True)


class RejectedRecordItem(InstallationItem, discriminator="rejected_record"):
    reason = UnicodeAttribute()
    fields = ListAttribute[str](default=list)
    received_at = UnicodeAttribute()


class EquipmentMap(MapAttribute[str, Any]):
    product_id = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    quantity = NumberAttribute()


class AddressMap(MapAttribute[str, Any]):
    street = UnicodeAttribute(default="")
    suburb = UnicodeAttribute(default="")
    city = UnicodeAttribute(default="")
    province = UnicodeAttribute(default="")
    country = UnicodeAttribute(default="")
    postal_code = UnicodeAttribute(default="")
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)


class SsrItem(InstallationItem, discriminator="ssr"):
    order_id = UnicodeAttribute()
    ssr_id = UnicodeAttribute()
    status = UnicodeAttribute()
    system_size_kw = NumberAttribute(null=True)
    system_type = UnicodeAttribute()
    installation_request_id = UnicodeAttribute()
    equipment = ListAttribute[EquipmentMap](of=EquipmentMap, default=list)
    created_at = UnicodeAttribute()


class InstallationRequestItem(InstallationItem, discriminator="installation_request"):
    order_id = UnicodeAttribute()
    ssr_id = UnicodeAttribute()
    installation_request_id = UnicodeAttribute()
    status = UnicodeAttribute()
    installation_type = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    phone = UnicodeAttribute()
    address = AddressMap()  # type: ignore[no-untyped-call]
    branch_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    installation_date = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # The crew booking (solar_core/scheduling), present while the request holds a place on a crew's day.
    booking_crew_id = UnicodeAttribute(null=True)
    booking_crew_name = UnicodeAttribute(null=True)
    booking_date = UnicodeAttribute(null=True)
    booked_at = UnicodeAttribute(null=True)


class WarrantyItem(InstallationItem, discriminator="warranty"):
    order_id = UnicodeAttribute()
    ssr_id = UnicodeAttribute()
    warranty_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    product_name = UnicodeAttribute()
    serial_number = UnicodeAttribute(null=True)
    quantity = NumberAttribute()
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute()
    duration_days = NumberAttribute()
    rule_source = UnicodeAttribute()
