"""Order use cases: the CRM's `PUT /orders/{id}` (the path names the order, the body's clock orders the writes)."""

from __future__ import annotations

from solar_core import errors
from solar_core.catalog.records import utc_now
from solar_core.orders import store
from solar_core.orders.models import Order, OrderIn


def put_order(order_id: str, body: OrderIn) -> tuple[Order, bool]:
    """Create or replace the order; True when it is new.

    The path id wins; a body `order_id` must match it. `updated_at` defaults to now, and a write older than the
    stored one is refused with `Conflict`, so a delayed retry of the CRM cannot undo a newer state.
    """
    if body.order_id is not None and body.order_id != order_id:
        raise errors.InvalidInput(
            f"The body names order {body.order_id} but the path names order {order_id}.",
            details=[{"field": "order_id", "problem": "does not match the path"}],
        )
    order = Order.model_validate(
        {**body.model_dump(), "order_id": order_id, "updated_at": body.updated_at or utc_now()}
    )
    return store.write_order(order)
