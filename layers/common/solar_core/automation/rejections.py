"""Order items from the stream that cannot be automated (malformed: written around the API) and why."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from solar_core.aws_errors import storage_error
from solar_core.installations.clock import iso, now
from solar_core.installations.tables import RejectedRecordItem, order_pk


def record_rejection(order_id: str, sequence_number: str, reason: str, fields: list[str]) -> None:
    """Stores the rejection under the stream record's sequence number, so a redelivery overwrites, not adds."""
    item = RejectedRecordItem(
        pk=order_pk(order_id),
        sk=f"REJECTED#{sequence_number}",
        reason=reason[:1000],
        fields=fields[:50],
        received_at=iso(now()),
    )
    try:
        item.save()
    except PutError as exc:
        raise storage_error(exc) from exc
