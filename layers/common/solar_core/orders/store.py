"""Orders in the Orders table: out-of-order-safe writes, validated reads and idempotent note appends.

Every DynamoDB failure leaves this module as a domain error (`solar_core.aws_errors.storage_edge`).
Every attribute is native DynamoDB (stage and payment_status as S — the stream filter reads them; money as decimal
strings). `updated_at_us`, the write's `updated_at` in microseconds since the epoch, is what the condition
compares: ISO strings of different precision do not sort as text ("10:00:00Z" > "10:00:00.5Z").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer
from pydantic import BaseModel, ValidationError
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from solar_core import aws_clients, errors
from solar_core.aws_errors import storage_edge
from solar_core.catalog.records import condition_failed, upsert, utc_now
from solar_core.orders.models import Customer, Order
from solar_core.orders.notes import as_line, keeping_automation_lines
from solar_core.settings import get_settings

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WRITE_ATTEMPTS = 5

_M = TypeVar("_M", bound=BaseModel)


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
    """The notes and the CRM's write clock of an order: all that a note append or a CRM write conditions on."""

    class Meta:
        table_name = get_settings().orders_table
        region = get_settings().aws_region

    order_id = UnicodeAttribute(hash_key=True)
    notes = UnicodeAttribute(null=True)
    updated_at_us = NumberAttribute(null=True)


@storage_edge
def write_order(order: Order) -> tuple[Order, bool]:
    """Create or replace `order`; True when it is new. `Conflict` when the table holds a newer `updated_at`.

    The automation's lines in the stored notes that the incoming notes lack are kept (orders.notes). Optimistic,
    as appending is: the write is conditioned on the notes it read and re-read on a race, so a CRM write and an
    automation append that cross never lose a line.
    """
    updated_at_us = _epoch_us(order.updated_at)
    for _ in range(_WRITE_ATTEMPTS):
        stored = _stored_notes(order.order_id)
        if stored is not None and stored.updated_at_us is not None and stored.updated_at_us > updated_at_us:
            raise errors.Conflict(
                f"Order {order.order_id} already holds an update newer than {order.updated_at}; "
                "this older write was refused."
            )
        notes = keeping_automation_lines(order.notes, (stored.notes or "") if stored else "")
        record = _OrderRecord()
        record.from_simple_dict(
            {**order.to_item(), "notes": notes, "created_at": utc_now(), "updated_at_us": updated_at_us}
        )
        try:
            written = upsert(record, condition=_unchanged_since(stored, updated_at_us))
        except UpdateError as exc:
            if condition_failed(exc):
                continue
            raise
        return order.model_copy(update={"notes": notes, "created_at": written.created_at}), written.created
    raise errors.Conflict(f"Order {order.order_id} kept changing while it was written; try again.")


def _unchanged_since(stored: _OrderNotesRecord | None, updated_at_us: int) -> Condition:
    """The stored order is still as read (absent, or the same notes) and holds no newer write."""
    if stored is None:
        return _OrderRecord.order_id.does_not_exist()
    newer_not_stored = _OrderRecord.updated_at_us.does_not_exist() | (_OrderRecord.updated_at_us <= updated_at_us)
    unchanged: Condition = _OrderRecord.order_id.exists() & newer_not_stored & _notes_still(stored.notes or "")
    return unchanged


def _notes_still(notes: str) -> Condition:
    """The stored notes are still `notes` (no notes attribute counts as empty notes)."""
    if notes:
        same: Condition = _OrderNotesRecord.notes == notes
    else:
        same = _OrderNotesRecord.notes.does_not_exist() | (_OrderNotesRecord.notes == "")
    return same


class _OrderCustomer(BaseModel):
    """The projection `get_customer` reads: field errors name `customer.<field>`, as for a whole order."""

    customer: Customer


@storage_edge
def get_order(order_id: str) -> Order:
    """The stored order (read consistently); `InvalidInput` naming the fields when the item is not a valid order.

    The item is read raw and validated by the pydantic model, so an item the CRM wrote directly with other
    DynamoDB types (a quantity as a string, a price as a number) is still read, or refused field by field.
    """
    return _valid(Order, _stored_item(order_id), order_id)


@storage_edge
def get_customer(order_id: str) -> Customer:
    """Only the order's customer, read and validated as `get_order` reads the whole order.

    For the steps that need the customer's contact details: they read them here rather than being handed them
    through the workflow's state, which Step Functions keeps in the execution history.
    """
    return _valid(_OrderCustomer, _stored_item(order_id, attribute="customer"), order_id).customer


def _stored_item(order_id: str, attribute: str | None = None) -> dict[str, Any]:
    """The order item, or only one of its attributes; `NotFound` when the order does not exist."""
    request: dict[str, Any] = {
        "TableName": get_settings().orders_table,
        "Key": {"order_id": {"S": order_id}},
        "ConsistentRead": True,
    }
    if attribute:
        request |= {"ProjectionExpression": "#attribute", "ExpressionAttributeNames": {"#attribute": attribute}}
    response = aws_clients.client("dynamodb").get_item(**request)
    if "Item" not in response:
        raise errors.NotFound(f"Order {order_id} does not exist.")
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in response["Item"].items()}


def _valid(model: type[_M], item: dict[str, Any], order_id: str) -> _M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]} for error in exc.errors()
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise errors.InvalidInput(f"Stored order {order_id} is invalid: {fields}.", details=details) from exc


@storage_edge
def append_order_note(order_id: str, note: str) -> bool:
    """Append `note` as a line of the order's notes unless that line is already there; True when it changed.

    A note is one line (its line breaks become spaces). Optimistic: the write is conditioned on the notes it read
    and re-read on a race, so concurrent appends never lose a line and a replayed append changes nothing.
    """
    line = as_line(note)
    if not line:
        raise errors.InvalidInput("A note needs some text.")
    for _ in range(_WRITE_ATTEMPTS):
        stored = _stored_notes(order_id)
        if stored is None:
            raise errors.NotFound(f"Order {order_id} does not exist.")
        notes = stored.notes or ""
        if line in notes.splitlines():
            return False
        try:
            _OrderNotesRecord(order_id).update(
                actions=[_OrderNotesRecord.notes.set(f"{notes}\n{line}" if notes else line)],
                condition=_OrderNotesRecord.order_id.exists() & _notes_still(notes),
            )
        except UpdateError as exc:
            if condition_failed(exc):
                continue
            raise
        return True
    raise errors.Conflict(f"The notes of order {order_id} kept changing; try again.")


def _stored_notes(order_id: str) -> _OrderNotesRecord | None:
    """The order's notes and write clock (read consistently), or None when the order does not exist."""
    try:
        return _OrderNotesRecord.get(
            order_id, consistent_read=True, attributes_to_get=["order_id", "notes", "updated_at_us"]
        )
    except _OrderNotesRecord.DoesNotExist:
        return None


def _epoch_us(timestamp: str) -> int:
    return (datetime.fromisoformat(timestamp) - _EPOCH) // timedelta(microseconds=1)
