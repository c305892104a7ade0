"""Orders in the Orders table: out-of-order-safe writes, validated reads and idempotent note appends.

Every attribute is native DynamoDB (stage and payment_status as S — the stream filter reads them; money as decimal
strings). `updated_at_us`, the write's `updated_at` in microseconds since the epoch, is what the condition
compares: ISO strings of different precision do not sort as text ("10:00:00Z" > "10:00:00.5Z").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from solar_core import aws_clients, errors
from solar_core.catalog.records import condition_failed, upsert, utc_now
from solar_core.orders.models import Order
from solar_core.settings import get_settings

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOTE_ATTEMPTS = 5


class _AddressMap(MapAttribute[str, Any]):
    street = UnicodeAttribute()
    suburb = UnicodeAttribute()
    city = UnicodeAttribute()
    province = UnicodeAttribute()
    country = UnicodeAttribute()
    postal_code = UnicodeAttribute()
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)


class _CustomerMap(MapAttribute[str, Any]):
    customer_id = UnicodeAttribute()
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute()
    whatsapp_id = UnicodeAttribute()
    address = _AddressMap()  # type: ignore[no-untyped-call]


class _OrderLineMap(MapAttribute[str, Any]):
    product_id = UnicodeAttribute()
    quantity = NumberAttribute()
    unit_price = UnicodeAttribute()
    serial_numbers = ListAttribute[str]()


class _OrderRecord(Model):
    class Meta:
        table_name = get_settings().orders_table
        region = get_settings().aws_region

    order_id = UnicodeAttribute(hash_key=True)
    order_number = UnicodeAttribute()
    stage = UnicodeAttribute()
    payment_status = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    notes = UnicodeAttribute()
    customer = _CustomerMap()  # type: ignore[no-untyped-call]
    items = ListAttribute(of=_OrderLineMap)
    updated_at = UnicodeAttribute()
    updated_at_us = NumberAttribute()
    created_at = UnicodeAttribute()


class _OrderNotesRecord(Model):
    """Only the notes of an order: appending a note reads and writes nothing else."""

    class Meta:
        table_name = get_settings().orders_table
        region = get_settings().aws_region

    order_id = UnicodeAttribute(hash_key=True)
    notes = UnicodeAttribute(null=True)


def write_order(order: Order) -> tuple[Order, bool]:
    """Create or replace `order`; True when it is new. `Conflict` when the table holds a newer `updated_at`."""
    record = _OrderRecord()
    record.from_simple_dict({**order.to_item(), "created_at": utc_now(), "updated_at_us": _epoch_us(order.updated_at)})
    newer_not_stored = _OrderRecord.updated_at_us.does_not_exist() | (
        _OrderRecord.updated_at_us <= record.updated_at_us
    )
    try:
        written = upsert(record, condition=newer_not_stored)
    except UpdateError as exc:
        if condition_failed(exc):
            raise errors.Conflict(
                f"Order {order.order_id} already holds an update newer than {order.updated_at}; "
                "this older write was refused."
            ) from exc
        raise
    return order.model_copy(update={"created_at": written.created_at}), written.created


def get_order(order_id: str) -> Order:
    """The stored order (read consistently); `InvalidInput` naming the fields when the item is not a valid order.

    The item is read raw and validated by the pydantic model, so an item the CRM wrote directly with other
    DynamoDB types (a quantity as a string, a price as a number) is still read, or refused field by field.
    """
    settings = get_settings()
    response = aws_clients.client("dynamodb").get_item(
        TableName=settings.orders_table, Key={"order_id": {"S": order_id}}, ConsistentRead=True
    )
    if "Item" not in response:
        raise errors.NotFound(f"Order {order_id} does not exist.")
    deserializer = TypeDeserializer()
    item = {name: deserializer.deserialize(value) for name, value in response["Item"].items()}
    try:
        return Order.model_validate(item)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]} for error in exc.errors()
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise errors.InvalidInput(f"Stored order {order_id} is invalid: {fields}.", details=details) from exc


def append_order_note(order_id: str, note: str) -> bool:
    """Append `note` as a line of the order's notes unless that line is already there; True when it changed.

    A note is one line (its line breaks become spaces). Optimistic: the write is conditioned on the notes it read
    and re-read on a race, so concurrent appends never lose a line and a replayed append changes nothing.
    """
    line = " ".join(note.split())
    if not line:
        raise errors.InvalidInput("A note needs some text.")
    for _ in range(_NOTE_ATTEMPTS):
        notes = _stored_notes(order_id)
        if line in notes.splitlines():
            return False
        if notes:
            unchanged = _OrderNotesRecord.notes == notes
        else:
            unchanged = _OrderNotesRecord.notes.does_not_exist() | (_OrderNotesRecord.notes == "")
        try:
            _OrderNotesRecord(order_id).update(
                actions=[_OrderNotesRecord.notes.set(f"{notes}\n{line}" if notes else line)],
                condition=_OrderNotesRecord.order_id.exists() & unchanged,
            )
        except UpdateError as exc:
            if condition_failed(exc):
                continue
            raise
        return True
    raise errors.Conflict(f"The notes of order {order_id} kept changing; try again.")


def _stored_notes(order_id: str) -> str:
    try:
        record = _OrderNotesRecord.get(order_id, consistent_read=True, attributes_to_get=["order_id", "notes"])
    except _OrderNotesRecord.DoesNotExist as exc:
        raise errors.NotFound(f"Order {order_id} does not exist.") from exc
    return record.notes or ""


def _epoch_us(timestamp: str) -> int:
    return (datetime.fromisoformat(timestamp) - _EPOCH) // timedelta(microseconds=1)
