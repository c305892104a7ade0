"""Pydantic models of the installation records, the automation state and the read API's answer."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from solar_core.catalog.models import PackageItem, Product
from solar_core.installations.ids import attempt_of
from solar_core.installations.statuses import AutomationState as AutomationState  # noqa: PLC0414 - re-exported
from solar_core.installations.statuses import InstallationStatus as InstallationStatus  # noqa: PLC0414 - re-exported
from solar_core.installations.statuses import SsrStatus as SsrStatus  # noqa: PLC0414 - re-exported
from solar_core.installations.statuses import SystemType as SystemType  # noqa: PLC0414 - re-exported
from solar_core.lazy_model import LazyModel
from solar_core.orders.models import Address


class _OmitNone(LazyModel):
    """Optional fields the contract marks with `?` are left out rather than sent as null."""

    @model_serializer(mode="wrap")
    def _omit_none(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {key: value for key, value in dumped.items() if value is not None}


class EquipmentLine(LazyModel):
    """One solar line of the order as the SSR remembers it (for the confirmation and staff)."""

    product_id: str
    name: str
    category: str
    quantity: int


class ServiceSystemRecord(LazyModel):
    """The SSR: one per paid solar order."""

    ssr_id: str
    order_id: str
    status: SsrStatus
    system_size_kw: float | None
    system_type: SystemType
    created_at: str
    installation_request_id: str
    equipment: list[EquipmentLine] = Field(default_factory=list)


class BookingSummary(LazyModel):
    """The crew and day an installation request is booked on."""

    crew_id: str
    crew_name: str
    date: str


class InstallationRequest(LazyModel):
    id: str
    status: InstallationStatus
    installation_type: SystemType
    customer_name: str
    phone: str
    address: Address
    installation_date: str | None = None
    booking: BookingSummary | None = None


class Warranty(_OmitNone):
    warranty_id: str
    product_id: str
    product_name: str
    serial_number: str | None = None
    quantity: int
    start_date: str
    end_date: str
    duration_days: int
    rule_source: str | None = None


class AuditEntry(LazyModel):
    at: str
    action: str
    detail: str


class Automation(_OmitNone):
    state: AutomationState
    reason: str | None = None


class ServiceRequestView(LazyModel):
    """The answer of `GET /orders/{id}/service-request` and `GET /service-requests/{ssr_id}` (contract.md)."""

    ssr: ServiceSystemRecord | None
    installation_request: InstallationRequest | None
    warranties: list[Warranty]
    audit: list[AuditEntry]
    automation: Automation


# ---------------------------------------------------------------- what the workflow's steps take and give back
# The workflow's state carries ids and the few facts later steps need, never contact details: Step Functions keeps
# every state in the execution history. The steps that need the customer's email or phone read them.


class StepInput(LazyModel):
    """Fields every step receives; extra keys (the step name, execution details) are ignored."""

    model_config = ConfigDict(extra="ignore")

    order_id: str = Field(min_length=1, max_length=128)
    # The execution's name (`$$.Execution.Name`) where a step's once-only effects are per attempt (a staff re-run).
    execution: str | None = Field(default=None, max_length=80)

    @property
    def attempt(self) -> int:
        return attempt_of(self.execution)


class SsrStepInput(StepInput):
    ssr_id: str = Field(min_length=1, max_length=64)


class OrderFacts(LazyModel):
    """What messages say about an order: its number, its branch and the customer's first name."""

    order_number: str = Field(min_length=1, max_length=64)
    branch_id: str = Field(default="", max_length=64)
    first_name: str = Field(min_length=1, max_length=100)


class CreatedRecords(LazyModel):
    """The order's record set as the steps after CreateRecords need it: the ids, the system's type and size."""

    ssr_id: str = Field(min_length=1, max_length=64)
    installation_request_id: str = Field(min_length=1, max_length=64)
    system_type: SystemType
    system_size_kw: float | None = None


class OrderSummary(OrderFacts):
    """LoadOrder's result: whether the order goes on to validation (and why not), and what later steps need."""

    proceed: bool
    skip_reason: str | None
    solar_lines: int
    other_lines: int
    solar_items: list[PackageItem]
    # The order's products and the rules' version token as LoadOrder read them: ValidateCompatibility and
    # CreateRecords use them rather than reading the catalog again (no personal data; a few dozen products at most).
    products: dict[str, Product] = Field(default_factory=dict)
    rules_version: str | None = None


class CatalogView(LazyModel):
    """What a step is handed of the catalog in the workflow's state, as LoadOrder read it: the order's products (the
    ones missing are read) and the rules' version token (the rules are kept in memory per token; None: read them)."""

    products: dict[str, Product] = Field(default_factory=dict, max_length=500)
    rules_version: str | None = Field(default=None, max_length=64)


class ValidateInput(StepInput, CatalogView):
    """The solar lines to check, one item per product, as LoadOrder summed them."""

    items: list[PackageItem] = Field(min_length=1, max_length=500)


class CreateRecordsInput(StepInput, CatalogView):
    """CreateRecords: the order, and its products as LoadOrder read them."""


class FlagInput(StepInput, OrderFacts):
    reasons: list[str] = Field(default_factory=list)


class SkipInput(StepInput):
    reason: str = Field(min_length=1, max_length=500)


class ConfirmationInput(SsrStepInput, OrderFacts):
    """SendConfirmation: the SSR to confirm, how the email names the order and, when CreateRecords made them, what it
    shows of the records; the address is read, not passed."""

    confirmation: ConfirmationContent | None = None


class StaffNoticeInput(StepInput, OrderFacts, CreatedRecords):
    """NotifyStaff: everything the notice says, from the state (no read)."""


class SyncInput(StepInput, CreatedRecords):
    """QueueOpenSolarSync: the records the sync request names."""


class FailureInput(StepInput):
    error: str = Field(default="States.Unknown", max_length=256)
    cause: str = Field(default="", max_length=32768)


class ValidationOutcome(LazyModel):
    valid: bool
    errors: list[str]
    warnings: list[str]


class InstallationRequestRef(LazyModel):
    """What the confirmation email says of the installation request: its id and status, nothing personal."""

    id: str
    status: InstallationStatus


class ConfirmationContent(LazyModel):
    """What the confirmation email shows of the records (no contact details), handed on by CreateRecords."""

    ssr: ServiceSystemRecord
    installation_request: InstallationRequestRef | None
    warranties: list[Warranty]


class CreateRecordsOutcome(CreatedRecords):
    """CreateRecords' result: the records, whether an earlier attempt had made them (then reused), and what the
    confirmation email shows of them (None when reused: SendConfirmation reads the stored set then)."""

    reused: bool
    confirmation: ConfirmationContent | None = None
