"""The Orders item (contract.md): validated on the API and again when read from the stream or the table."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from solar_core.catalog.models import Identifier, UtcTimestamp
from solar_core.catalog.storable import JsonNumber
from solar_core.lazy_model import LazyModel

_MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
# No control characters (C0, DEL, C1) or spaces; spelled out because JSON Schema's `\s` and Python's differ (U+0085).
_EMAIL_PATTERN = r"^[^@\x00-\x20\x7f-\x9f]+@[^@\x00-\x20\x7f-\x9f]+\.[^@\x00-\x20\x7f-\x9f]+$"


def _money_text(value: object) -> object:
    """Money is a decimal string ("1200.00"); a JSON number could already have lost cents, so it is refused.

    A Decimal passes: that is how a number attribute written straight to the table reads back.
    """
    if isinstance(value, Decimal) or (isinstance(value, str) and re.fullmatch(_MONEY_PATTERN, value)):
        return value
    raise ValueError('money must be a decimal string such as "1200.00"')


Money = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, max_digits=14, decimal_places=2),
    WithJsonSchema({"type": "string", "pattern": _MONEY_PATTERN, "examples": ["1200.00"]}),
]


class Stage(StrEnum):
    LEAD = "lead"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REFUNDED = "refunded"


class Address(LazyModel):
    model_config = ConfigDict(extra="ignore")

    street: str = ""
    suburb: str = ""
    city: str = ""
    province: str = ""
    country: str = Field(default="", max_length=2)
    postal_code: str = ""
    lat: Annotated[float | None, JsonNumber] = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: Annotated[float | None, JsonNumber] = Field(default=None, ge=-180, le=180, allow_inf_nan=False)


class Customer(LazyModel):
    model_config = ConfigDict(extra="ignore")

    customer_id: Identifier
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=_EMAIL_PATTERN)
    phone: str = Field(default="", max_length=32)
    whatsapp_id: str = Field(default="", max_length=32)
    address: Address = Field(default_factory=Address)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OrderLine(LazyModel):
    model_config = ConfigDict(extra="ignore")

    product_id: Identifier
    quantity: Annotated[int, JsonNumber] = Field(gt=0, le=10000)
    unit_price: Money = Decimal("0")
    serial_numbers: list[str] = Field(default_factory=list, max_length=10000)


class OrderIn(LazyModel):
    """Body of `PUT /orders/{id}`; `order_id` may be omitted (the path gives it) but must match when present.

    `updated_at` (any ISO 8601 form, stored as UTC with Z) orders the CRM's writes: an older one is refused.
    """

    model_config = ConfigDict(extra="ignore")

    order_id: Identifier | None = None
    order_number: str = Field(min_length=1, max_length=64)
    stage: Stage
    payment_status: PaymentStatus
    branch_id: str = Field(default="", max_length=64)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    notes: str = Field(default="", max_length=20000)
    customer: Customer
    items: list[OrderLine] = Field(default_factory=list, max_length=500)
    updated_at: UtcTimestamp | None = None


class Order(OrderIn):
    """A stored order."""

    order_id: Identifier
    updated_at: UtcTimestamp
    created_at: str | None = None
    # The CRM may send 20,000 characters; the automation's flag lines come on top and the order must stay readable.
    notes: str = Field(default="", max_length=40000)

    @property
    def is_won_and_paid(self) -> bool:
        return self.stage is Stage.CLOSED_WON and self.payment_status is PaymentStatus.PAID

    def to_item(self) -> dict[str, object]:
        """The DynamoDB-ready dict (money as decimal strings, as the CRM writes it)."""
        return self.model_dump(mode="json")
