"""Record-keeping shared by the catalog and orders stores: UTC timestamps and the one create-or-replace write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from solar_core.catalog.models import utc_iso

CREATED_AT = "created_at"


class Upserted(NamedTuple):
    created: bool
    created_at: str


def utc_now() -> str:
    return utc_iso(datetime.now(UTC))


def condition_failed(exc: PynamoDBException) -> bool:
    """The write was refused by its condition expression (not throttled, not malformed)."""
    return exc.cause_response_code == "ConditionalCheckFailedException"


def upsert(record: Model, condition: Condition | None = None) -> Upserted:
    """Create or replace `record` in one UpdateItem: attributes set to None are removed, a stored `created_at`
    is kept, and the old image (ALL_OLD) tells whether the item is new. Raises pynamodb's UpdateError."""
    actions: list[Action] = []
    for name, attribute in type(record).get_attributes().items():
        if attribute.is_hash_key or attribute.is_range_key:
            continue
        value = getattr(record, name)
        if name == CREATED_AT:
            actions.append(attribute.set(attribute | value))
        elif value is None:
            actions.append(attribute.remove())
        else:
            actions.append(attribute.set(value))
    hash_key, range_key = record._get_hash_range_key_serialized_values()
    # Model.update() only returns the new image; ALL_OLD is what distinguishes "created" from "replaced".
    response: dict[str, Any] = (
        type(record)
        ._get_connection()
        .update_item(hash_key, range_key=range_key, actions=actions, condition=condition, return_values=ALL_OLD)
    )
    old = response.get("Attributes")
    if old is None:
        return Upserted(created=True, created_at=getattr(record, CREATED_AT))
    stored = old.get(CREATED_AT, {}).get("S")
    return Upserted(created=False, created_at=stored or getattr(record, CREATED_AT))
