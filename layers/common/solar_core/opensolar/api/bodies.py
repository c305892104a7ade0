"""OpenSolar's request and answer bodies (opensolar-api.md), tolerant of what varies between organisations.

Answers ignore unknown fields and treat every field but the project's `id` as optional; a date OpenSolar sends in a
form we cannot read becomes None rather than failing the whole answer (the dates are informative, the id is not).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from solar_core.lazy_model import LazyModel


def _lenient_datetime(value: Any) -> Any:
    """A datetime, or None when OpenSolar sent something that is not one (an empty string, a malformed date)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


OpenSolarDateTime = Annotated[datetime | None, BeforeValidator(_lenient_datetime)]


class _Answer(LazyModel):
    model_config = ConfigDict(extra="ignore")


class TokenAnswer(_Answer):
    """`POST /api-token-auth/`."""

    token: str = Field(min_length=1)
    org_id: int | None = None


class WorkflowStage(_Answer):
    """`{"workflow_id", "active_stage_id"}`: the project's current stage; stage ids are per organisation."""

    workflow_id: int | None = None
    active_stage_id: int | None = None


class OpenSolarProject(_Answer):
    """A project as OpenSolar answers it; only `id` is required."""

    id: int
    identifier: str | None = None
    title: str | None = None
    address: str | None = None
    workflow: WorkflowStage | None = None
    stage: int | None = None
    created_date: OpenSolarDateTime = None
    modified_date: OpenSolarDateTime = None
    contract_date: OpenSolarDateTime = None
    sold_date: OpenSolarDateTime = None
    installation_date: OpenSolarDateTime = None
    project_installed: OpenSolarDateTime = None


class NewContact(LazyModel):
    """One entry of `contacts_new`."""

    first_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""


class ProjectFields(LazyModel):
    """What our sync sends on update (PATCH): the identifier and the site. Notes and the lead source are set on create
    only, so a re-sync never overwrites what installers wrote in OpenSolar."""

    identifier: str
    is_residential: bool = True
    address: str = ""
    locality: str = ""
    state: str = ""
    zip: str = ""
    country_iso2: str = ""
    lat: float | None = None
    lon: float | None = None


class NewProject(ProjectFields):
    """What our sync sends on create (POST): the fields above, where the project came from, and the customer as a
    new contact. Contacts go on create only: OpenSolar appends `contacts_new`, so a second send would duplicate them.
    """

    lead_source: str = ""
    notes: str = ""
    workflow: WorkflowStage | None = None  # the stage our status maps to (`status_map`), when it maps to one
    contacts_new: list[NewContact] = Field(default_factory=list)


class StageChange(LazyModel):
    """`PATCH .../projects/{id}/` body that moves a project to a workflow stage."""

    workflow: WorkflowStage


class WebhookSettings(LazyModel):
    """`POST/PATCH .../webhooks/`: our endpoint, the fields that trigger a delivery and those it carries, and the secret
    header (OpenSolar keeps `headers` as a string holding JSON)."""

    endpoint: str
    enabled: bool
    debug: bool = False
    trigger_fields: list[str]
    payload_fields: list[str]
    headers: str


class WebhookSwitch(LazyModel):
    """`PATCH .../webhooks/{id}/` turning a webhook on or off."""

    enabled: bool


class OpenSolarWebhook(_Answer):
    id: int
    endpoint: str | None = None
    enabled: bool | None = None
    trigger_fields: list[str] | None = None
    payload_fields: list[str] | None = None
