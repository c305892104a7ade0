"""Request bodies of the public API as pydantic models; unknown fields are ignored, as DRF serializers do."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from local.opensolar_fake.api.drf_errors import DATETIME_FORMAT_MESSAGE
from local.opensolar_fake.clock import as_utc

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$")
FIELD_PATH = re.compile(r"^(project|contact|event|quote|quoteactivitylog)\.(\*|[a-z_][a-z0-9_]*)$")


def _parse_datetime(value: Any) -> Any:
    # Django parses with datetime.fromisoformat: date-only strings pass, unix numbers do not.
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise ValueError(DATETIME_FORMAT_MESSAGE)


DrfDateTime = Annotated[datetime | None, BeforeValidator(_parse_datetime)]


class LoginBody(BaseModel):
    """`POST /api-token-auth/`."""

    model_config = ConfigDict(extra="ignore")

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class MachineUserPatch(BaseModel):
    """`PATCH /auth/users/{user_id}/`."""

    model_config = ConfigDict(extra="ignore")

    is_machine_user: bool = False


class ContactNew(BaseModel):
    """One entry of `contacts_new`: a contact created and linked to the project."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    first_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""

    @field_validator("email")
    @classmethod
    def _email_is_valid(cls, value: str) -> str:
        if value and not _EMAIL.fullmatch(value):
            raise ValueError("Enter a valid email address.")
        return value


class WorkflowRef(BaseModel):
    """`{"workflow_id", "active_stage_id"}`; either may be left out on PATCH."""

    model_config = ConfigDict(extra="ignore")

    workflow_id: int | None = None
    active_stage_id: int | None = None


class ProjectWrite(BaseModel):
    """The writable project fields (POST, PUT, PATCH). Read-only ones such as `stage`, `title` or `id` are ignored."""

    # DRF's CharField turns numbers into strings but refuses booleans; coerce_numbers_to_str does the same.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    identifier: str | None = None
    is_residential: bool = True
    lead_source: str = ""
    notes: str = ""
    address: str = ""
    locality: str = ""
    state: str = ""
    zip: str = ""
    country_iso2: str = ""
    lat: float | None = None
    lon: float | None = None
    priority: int = 2
    contacts_new: list[ContactNew] = Field(default_factory=list)
    workflow: WorkflowRef = Field(default_factory=WorkflowRef)
    contract_date: DrfDateTime = None
    sold_date: DrfDateTime = None
    installation_date: DrfDateTime = None
    project_installed: DrfDateTime = None

    @field_validator("country_iso2")
    @classmethod
    def _country_is_iso2(cls, value: str) -> str:
        if value and not _COUNTRY.fullmatch(value):
            raise ValueError(f'Invalid country code "{value}".')
        return value.upper()

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent, nested models as plain dicts."""
        return self.model_dump(exclude_unset=True)


def _blank_to_none(value: Any) -> Any:
    # "Left blank" covers a missing key, null, an empty list and an empty string.
    if value in (None, "", []):
        return None
    return value


def _check_field_path(path: str) -> str:
    if not FIELD_PATH.fullmatch(path):
        raise ValueError(f'"{path}" is not a valid field path; use model.field or model.* (e.g. project.stage).')
    return path


FieldPath = Annotated[str, AfterValidator(_check_field_path)]
FieldPaths = Annotated[list[FieldPath] | None, BeforeValidator(_blank_to_none)]


class WebhookFields(BaseModel):
    """The fields shared by webhook create and update bodies."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str
    enabled: bool
    debug: bool
    headers: str = ""
    trigger_fields: FieldPaths = None
    payload_fields: FieldPaths = None

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_url(cls, value: str) -> str:
        if not _URL.fullmatch(value):
            raise ValueError("Enter a valid URL.")
        return value

    @field_validator("headers")
    @classmethod
    def _headers_hold_a_json_object(cls, value: str) -> str:
        # OpenSolar stores the custom headers as a string that must parse to a JSON object.
        if value == "":
            return value
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("Value must be valid JSON.") from None
        if not isinstance(parsed, dict):
            raise ValueError("Value must be a JSON object of header names to values.")
        return value


class WebhookCreate(WebhookFields):
    """`POST .../webhooks/`: endpoint, enabled and debug are required."""


class WebhookUpdate(WebhookFields):
    """`PATCH .../webhooks/{id}/`: everything optional; blank field lists become null."""

    endpoint: str = ""
    enabled: bool = True
    debug: bool = False
