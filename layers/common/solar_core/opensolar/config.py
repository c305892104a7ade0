"""The OpenSolar integration's settings: one item in the Integration table, edited through `PUT /opensolar/config`.

Read through Powertools Parameters with a short cache, so a change reaches every container within CACHE_SECONDS
(at once in the container that saved it). No secret lives here: credentials are in Secrets Manager.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parameters import BaseProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from solar_core import errors
from solar_core.aws_clients import client
from solar_core.aws_errors import parameter_error, upstream_error
from solar_core.installations.clock import iso, now
from solar_core.installations.statuses import InstallationStatus
from solar_core.settings import get_settings

CONFIG_PK = "CONFIG"
CONFIG_NAME = "OPENSOLAR"
CACHE_SECONDS = 30
DEFAULT_BASE_URL = "https://api.opensolar.com"

StageId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")]
"""An OpenSolar `active_stage_id` as a JSON object key: its decimal digits."""


def _integral(value: Any) -> Any:
    """JSON Schema counts 12.0 as an integer; a fraction, a string or a boolean stays what it is, and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The bounds go on the int before the validator wraps it, so the JSON schema shows them as minimum/maximum.
Integer = Annotated[int, Field(strict=True), BeforeValidator(_integral)]
"""An integer that is one: 3 or 3.0, never 3.5, "3" or true."""
WholeNumber = Annotated[int, Field(strict=True, ge=0), BeforeValidator(_integral)]
OrgId = Annotated[int, Field(strict=True, ge=1), BeforeValidator(_integral)]


class StageRef(BaseModel):
    """Where a status of ours puts the OpenSolar project: `{"workflow_id": int, "active_stage_id": int}`."""

    model_config = ConfigDict(extra="forbid")

    workflow_id: WholeNumber
    active_stage_id: WholeNumber


class IntegrationConfig(BaseModel):
    """contract.md's config, plus the knobs operators tune (write pacing, retry batch and backoffs)."""

    model_config = ConfigDict(extra="ignore")

    is_active: bool = Field(default=True, strict=True)
    auto_sync_enabled: bool = Field(default=True, strict=True)
    webhooks_enabled: bool = Field(default=True, strict=True)
    org_id: OrgId | None = Field(
        default=None, description="OpenSolar organisation; when empty, the one the API user's login answers with."
    )
    base_url: str = Field(default=DEFAULT_BASE_URL, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=200)
    api_timeout_s: float = Field(
        default=30.0, ge=0.1, le=120, strict=True, description="Connect and read timeout of each call."
    )
    max_retries: Integer = Field(default=3, ge=0, le=20, description="Hourly retries of a failed sync before it stops.")
    status_map: dict[InstallationStatus, StageRef] = Field(
        default_factory=dict, description="Our status → the OpenSolar stage it is pushed as; others are not pushed."
    )
    stage_map: dict[StageId, InstallationStatus] = Field(
        default_factory=dict,
        description="OpenSolar active_stage_id → our status; others fall back to the milestone.",
        json_schema_extra={"additionalProperties": False},
    )
    write_limit: Integer = Field(
        default=10, ge=1, le=1000, description="OpenSolar's project writes per window per user."
    )
    write_window_s: float = Field(default=60.0, ge=1, le=3600, strict=True)
    retry_batch_limit: Integer = Field(default=50, ge=1, le=1000, description="Failed syncs re-queued per hourly run.")
    retry_backoff_s: float = Field(
        default=30.0, ge=0, le=900, strict=True, description="First wait after a 5xx or a timeout."
    )
    throttle_backoff_s: float = Field(
        default=60.0, ge=0, le=900, strict=True, description="Wait after a 429 without Retry-After."
    )

    @field_validator("base_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("api_timeout_s", "write_window_s", "retry_backoff_s", "throttle_backoff_s")
    @classmethod
    def _to_the_millisecond(cls, value: float) -> float:
        """Seconds to the millisecond: finer means nothing here, and DynamoDB cannot store every float."""
        return round(value, 3)


class IntegrationConfigIn(IntegrationConfig):
    """The body of `PUT /opensolar/config`: the whole config (absent fields take their defaults); typos are refused."""

    # Only the PUT route validates it: built then, not on every cold start of the functions that read the config.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _ConfigProvider(BaseProvider):
    """A Parameters provider for config items: pk `CONFIG`, sk the item's name, the settings in its `value` map.

    Powertools' DynamoDBProvider reads tables keyed by one attribute only; this one reads the Integration table's
    pk/sk items with the container's low-level client.
    """

    def __init__(self, dynamodb: Any) -> None:
        super().__init__(client=dynamodb)  # type: ignore[no-untyped-call]
        self._dynamodb = dynamodb

    def _get(self, name: str, **sdk_options: Any) -> dict[str, Any]:
        key = {"pk": {"S": CONFIG_PK}, "sk": {"S": name}}
        item = self._dynamodb.get_item(TableName=get_settings().integration_table, Key=key).get("Item")
        return _value_of(item) if item else {}

    def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, Any]:
        answer = self._dynamodb.query(
            TableName=get_settings().integration_table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": path}},
        )
        return {item["sk"]["S"]: _value_of(item) for item in answer.get("Items", [])}


def _value_of(item: dict[str, Any]) -> dict[str, Any]:
    if "value" not in item:
        return {}
    value: dict[str, Any] = _plain_numbers(TypeDeserializer().deserialize(item["value"]))
    return value


def _plain_numbers(value: Any) -> Any:
    """DynamoDB's Decimals as the ints and floats the config was saved from."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    return value


@cache
def _provider() -> _ConfigProvider:
    return _ConfigProvider(client("dynamodb"))


def load_config(*, refresh: bool = False) -> IntegrationConfig:
    """The current config (defaults when nobody saved one yet), at most CACHE_SECONDS old; `refresh` reads it now."""
    try:
        stored = _provider().get(CONFIG_NAME, max_age=CACHE_SECONDS, force_fetch=refresh)
    except GetParameterError as exc:
        raise parameter_error(exc, "DynamoDB", "The OpenSolar config") from exc
    try:
        return IntegrationConfig.model_validate(stored or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise errors.UpstreamRejected(f"The stored OpenSolar config is invalid ({problems}); PUT a valid one.") from exc


def save_config(config: IntegrationConfig, updated_by: str) -> IntegrationConfig:
    """Replaces the config; this container sees it at once, others within CACHE_SECONDS."""
    # DynamoDB numbers are Decimals; JSON's floats are read as such.
    value = TypeSerializer().serialize(json.loads(config.model_dump_json(), parse_float=Decimal))
    item = {
        "pk": {"S": CONFIG_PK},
        "sk": {"S": CONFIG_NAME},
        "kind": {"S": "config"},
        "value": value,
        "updated_at": {"S": iso(now())},
        "updated_by": {"S": updated_by[:128]},
    }
    try:
        client("dynamodb").put_item(TableName=get_settings().integration_table, Item=item)
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    _provider().clear_cache()  # type: ignore[no-untyped-call]
    return config
