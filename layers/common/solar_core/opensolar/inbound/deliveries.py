"""Webhook deliveries as OpenSolar sends them (opensolar-api.md "Webhooks") and as the CRM this system replaces named
them ("What the CRM originally called these events"), read into one `InboundChange` the processor acts on.

Imported by the webhook receiver, whose cold start is the tightest in the system: pydantic and the standard library
only.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MODELS = ("Project", "Contact", "Event", "Quote", "QuoteActivityLog")
ACTED_ON = frozenset({"Project", "Event"})  # the others are stored, not acted on
LEGACY_EVENTS = (
    "project.status_changed",
    "project.design_complete",
    "project.proposal_sent",
    "project.contract_signed",
    "project.installation_scheduled",
)
LEGACY_ACTED_ON = frozenset(LEGACY_EVENTS) - {"project.design_complete"}


class DeliveryRefused(ValueError):
    """The body is not a delivery this endpoint takes; `message` says why (HTTP 400)."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


def _unix_time(value: Any) -> Any:
    """OpenSolar sends the unix time as a string ("1732540000"); a number is taken too, anything else refused."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


UnixTime = Annotated[int, BeforeValidator(_unix_time), Field(strict=True, ge=0)]


class OpenSolarDelivery(BaseModel):
    """`{"timestamp", "model", "model_id", "identifier"?, "event", "event_id", "fields"}`."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    timestamp: UnixTime
    model: Literal["Project", "Contact", "Event", "Quote", "QuoteActivityLog"]
    model_id: int = Field(strict=True, ge=0)
    identifier: str | None = Field(default=None, max_length=256)
    event: Literal["CREATE", "UPDATE", "DELETE"]
    event_id: int = Field(strict=True, ge=0)
    fields: dict[str, Any] = Field(default_factory=dict)


class LegacyDelivery(BaseModel):
    """`{"event": "project.<name>", "project_id", "data": {...}}`: no event id and no time of its own."""

    # Only the CRM's old-format deliveries use it (OpenSolar sends the other format): built on the first of them.
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, defer_build=True)

    event: Literal[
        "project.status_changed",
        "project.design_complete",
        "project.proposal_sent",
        "project.contract_signed",
        "project.installation_scheduled",
    ]
    project_id: int = Field(strict=True, ge=0)
    data: dict[str, str] = Field(default_factory=dict)


class InboundChange(BaseModel):
    """One delivery, normalised: what OpenSolar says changed about which project, and when."""

    event_key: str
    source: Literal["opensolar", "legacy"]
    model: str
    event: str
    project_id: int | None = None
    identifier: str | None = None
    occurred_at: datetime
    fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def acted_on(self) -> bool:
        if self.source == "legacy":
            return self.event in LEGACY_ACTED_ON
        return self.model in ACTED_ON


def read_delivery(body: str, received_at: datetime) -> InboundChange:
    """The delivery in `body`, or DeliveryRefused with the reason."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise DeliveryRefused(f"The body is not JSON: {exc}.") from exc
    if not isinstance(document, dict):
        raise DeliveryRefused("The body is not a JSON object.")
    if "model" in document or "event_id" in document:
        return _opensolar(document)
    if isinstance(document.get("event"), str) and document["event"].startswith("project."):
        return _legacy(document, received_at)
    raise DeliveryRefused(
        "Not a webhook delivery: expected OpenSolar's (timestamp, model, model_id, event, event_id, fields) "
        "or a named event (event, project_id, data)."
    )


def _opensolar(document: dict[str, Any]) -> InboundChange:
    delivery = _valid(OpenSolarDelivery, document)
    fields = delivery.fields
    project_id: int | None = delivery.model_id if delivery.model == "Project" else None
    if delivery.model == "Event" and isinstance(fields.get("project_id"), int):
        project_id = fields["project_id"]
    identifier = delivery.identifier or (
        fields.get("identifier") if isinstance(fields.get("identifier"), str) else None
    )
    return InboundChange(
        event_key=f"{delivery.model}:{delivery.model_id}:{delivery.event_id}",
        source="opensolar",
        model=delivery.model,
        event=delivery.event,
        project_id=project_id,
        identifier=identifier,
        occurred_at=datetime.fromtimestamp(delivery.timestamp, UTC),
        fields=fields,
    )


def _legacy(document: dict[str, Any], received_at: datetime) -> InboundChange:
    delivery = _valid(LegacyDelivery, document)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
    return InboundChange(
        event_key=f"legacy:{digest}",
        source="legacy",
        model="Project",
        event=delivery.event,
        project_id=delivery.project_id,
        occurred_at=received_at,
        fields=dict(delivery.data),
    )


def _valid(model: type[OpenSolarDelivery] | type[LegacyDelivery], document: dict[str, Any]) -> Any:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]) or "body", "problem": error["msg"]}
            for error in exc.errors()[:10]
        ]
        raise DeliveryRefused("The delivery is invalid.", details) from exc
