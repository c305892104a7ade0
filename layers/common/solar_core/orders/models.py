"""The Orders item (contract.md): validated on the API and again when read from the stream or the table."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from solar_core.catalog.models import Identifier, UtcTimestamp


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


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore")

    street: str = ""
    suburb: str = ""
    city: str = ""
    province: str = ""
    country: str = Field(default="", max_length=2)
    postal_code: str = ""
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    customer_id: Identifier
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str = Field(default="", max_length=32)
    whatsapp_id: str = Field(default="", max_length=32)
    address: Address = Field(default_factory=Address)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    product_id: Identifier
    quantity: int = Field(gt=0, le=10000)
    unit_price: Decimal = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    serial_numbers: list[str] = Field(default_factory=list, max_length=10000)

    @field_validator("unit_price", mode="before")
    @classmethod
    def _money_is_a_decimal_string(cls, value: object) -> object:
        """Money is a decimal string; a float would lose cents, so it is refused."""
        if isinstance(value, float):
            raise ValueError('money must be a decimal string such as "1200.00"')
        return value


class OrderIn(BaseModel):
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

    @property
    def is_won_and_paid(self) -> bool:
        return self.stage is Stage.CLOSED_WON and self.payment_status is PaymentStatus.PAID

    def to_item(self) -> dict[str, object]:
        """The DynamoDB-ready dict (money as decimal strings, as the CRM writes it)."""
        return self.model_dump(mode="json")
