"""Pydantic models of the catalog: what the API accepts and answers, and what the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

from solar_core.catalog.storable import ExtraSpec, JsonNumber, Measure, SpecName
from solar_core.lazy_model import LazyModel


def _id_as_string(value: object) -> object:
    """contract.md: a JSON number given as an id is accepted and treated as its decimal string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


_IdText = Annotated[str, Field(min_length=1, max_length=128)]
Identifier = Annotated[
    _IdText,
    # The request schema says what is accepted (a string or an integer); answers always hold the string.
    BeforeValidator(_id_as_string, json_schema_input_type=_IdText | int),
]


def utc_iso(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp ending in Z, as the contract writes them."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _as_utc_iso(value: str) -> str:
    """Any ISO 8601 timestamp (offset or Z; none means UTC) in the contract's UTC form.

    RFC 3339 allows a lower-case t and z; a moment whose UTC form falls outside years 1-9999 cannot be written.
    """
    try:
        moment = datetime.fromisoformat(value.upper())
        return utc_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError) as exc:
        raise ValueError("must be an ISO 8601 timestamp such as 2026-11-25T10:00:00Z") from exc


UtcTimestamp = Annotated[str, AfterValidator(_as_utc_iso), WithJsonSchema({"type": "string", "format": "date-time"})]


class Category(StrEnum):
    INVERTER = "inverter"
    BATTERY = "battery"
    SOLAR_PANEL = "solar_panel"
    CHARGE_CONTROLLER = "charge_controller"
    MOUNTING = "mounting"
    CABLE = "cable"
    ACCESSORY = "accessory"
    SERVICE = "service"
    OTHER = "other"


SOLAR_CATEGORIES = frozenset({Category.INVERTER, Category.BATTERY, Category.SOLAR_PANEL, Category.CHARGE_CONTROLLER})


class RuleType(StrEnum):
    COMPATIBLE = "COMPATIBLE"
    INCOMPATIBLE = "INCOMPATIBLE"
    REQUIRES = "REQUIRES"


class ProductSpecs(LazyModel):
    """Technical specs the size checks read; unknown keys are kept for display."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"propertyNames": {"minLength": 1}})
    __pydantic_extra__: dict[SpecName, ExtraSpec] = Field(init=False)

    rated_power_kw: Measure | None = None
    max_pv_input_kw: Measure | None = None
    max_battery_kwh: Measure | None = None
    nominal_voltage_v: Measure | None = None
    capacity_kwh: Measure | None = None
    power_w: Measure | None = None
    hybrid: StrictBool | None = None


class ProductIn(LazyModel):
    """Body of `PUT /products/{id}`."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    category: Category
    is_solar: StrictBool | None = None
    specs: ProductSpecs = Field(default_factory=ProductSpecs)
    warranty_days: Annotated[int, Field(ge=0, le=36500), JsonNumber] | None = None


class Product(ProductIn):
    """A stored product."""

    model_config = ConfigDict(extra="ignore")

    id: Identifier
    created_at: str
    updated_at: str

    @property
    def solar(self) -> bool:
        """Solar unless `is_solar` says otherwise: inverters, batteries, panels and charge controllers are."""
        if self.is_solar is not None:
            return self.is_solar
        return self.category in SOLAR_CATEGORIES

    @property
    def label(self) -> str:
        """How a salesperson recognises the product in a message: its name and SKU."""
        return f"{self.name} ({self.sku})"


class PackageItem(LazyModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Identifier
    quantity: Annotated[int, Field(gt=0, le=10000), JsonNumber]


class PackageIn(LazyModel):
    """Body of `PUT /packages/{id}`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    system_size_kw: Measure | None = None
    items: list[PackageItem] = Field(min_length=1, max_length=200)


class Package(PackageIn):
    model_config = ConfigDict(extra="ignore")

    id: Identifier
    created_at: str
    updated_at: str


class CompatibilityRuleIn(LazyModel):
    """Body of `POST /products/compatibility/rules`."""

    model_config = ConfigDict(extra="forbid")

    product_a_id: Identifier
    product_b_id: Identifier
    rule_type: RuleType
    reason: str = Field(default="", max_length=500)
    is_active: StrictBool = True


class CompatibilityRule(CompatibilityRuleIn):
    model_config = ConfigDict(extra="ignore")

    rule_id: str
    created_at: str


class CompatibilityRuleList(LazyModel):
    """Answer of `GET /products/compatibility/rules`."""

    items: list[CompatibilityRule]


class WarrantyRuleIn(LazyModel):
    """Body of `POST /warranty-rules`: a rule for one product or for a whole category."""

    # The document says what `_names_what_it_covers` checks, so a client (or a generator) can tell beforehand.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("product_id", "category")
            ]
        },
    )

    product_id: Identifier | None = None
    category: Category | None = None
    duration_days: Annotated[int, Field(gt=0, le=36500), JsonNumber]
    priority: Annotated[int, Field(ge=0, le=1000), JsonNumber] = 0
    is_active: StrictBool = True

    @model_validator(mode="after")
    def _names_what_it_covers(self) -> Self:
        """A rule with neither a product nor a category would never match anything."""
        if self.product_id is None and self.category is None:
            raise ValueError("give product_id or category: the rule must say what it covers")
        return self


class WarrantyRule(WarrantyRuleIn):
    model_config = ConfigDict(extra="ignore")

    rule_id: str
    created_at: str


class WarrantyRuleList(LazyModel):
    """Answer of `GET /warranty-rules`."""

    items: list[WarrantyRule]


class CheckProductsIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    product_a_id: Identifier
    product_b_id: Identifier


class ValidatePackageIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    package_id: Identifier


class PairCheck(LazyModel):
    """The rules engine's verdict on one pair of products."""

    product_a_id: str
    product_b_id: str
    compatible: bool
    reason: str
    has_rule: bool
    warning: bool
    rule_type: RuleType | None = None


class CompatibilityReport(LazyModel):
    """Pairwise rules and required companions over every distinct product of a package or order."""

    valid: bool
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    compatibility_checks: list[PairCheck] = Field(default_factory=list)


class SizeReport(LazyModel):
    """Findings of the system-size checks (inverter power, PV array, battery capacity and voltage)."""

    valid: bool
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class PackageReport(LazyModel):
    """Both checks of a set of lines; valid overall only when both are."""

    compatibility: CompatibilityReport
    system_size: SizeReport
    overall_valid: bool


class ProductSummary(LazyModel):
    id: str
    name: str
    sku: str


class ProductPairCheck(LazyModel):
    """Answer of `POST /products/compatibility/check-products/`."""

    product_a: ProductSummary
    product_b: ProductSummary
    compatible: bool
    reason: str
    has_rule: bool
    warning: bool
    rule_type: RuleType | None = None


class PackageSummary(LazyModel):
    id: str
    name: str
    system_size: float | None


class PackageValidation(PackageReport):
    """Answer of `POST /products/compatibility/validate-package/`."""

    package: PackageSummary
