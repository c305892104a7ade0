"""Our webhook in OpenSolar, registered through its API (operators of the system this replaces did it by hand).

The endpoint is this API's public URL (template.yaml `PublicApiUrl`) + `/opensolar/webhook/`; the secret goes as the
`X-OpenSolar-Secret` custom header; the trigger and payload fields are the project fields we act on, named, so the
org's fair use (about 2,000 deliveries a month) is not spent on address or contact edits. A second registration
updates the same webhook; removing it disables it there. The registration is kept in the Integration table.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from solar_core import errors
from solar_core.aws_clients import client
from solar_core.aws_errors import parameter_error, upstream_error
from solar_core.installations.clock import iso, now
from solar_core.opensolar.api.bodies import OpenSolarWebhook, WebhookSettings, WebhookSwitch
from solar_core.opensolar.api.client import client_for
from solar_core.opensolar.api.credentials import load_secret
from solar_core.opensolar.api.errors import OpenSolarMisconfigured, OpenSolarRejected
from solar_core.opensolar.config import CONFIG_PK, load_config
from solar_core.opensolar.tables import read_item
from solar_core.settings import get_settings

REGISTRATION_KEY = {"pk": {"S": CONFIG_PK}, "sk": {"S": "WEBHOOK"}}
WEBHOOK_PATH = "/opensolar/webhook/"
SECRET_HEADER = "X-OpenSolar-Secret"  # noqa: S105 - the header's name, not its value
# What triggers a delivery: the project fields our processing acts on, nothing else.
TRIGGER_FIELDS = [
    "project.stage",
    "project.workflow",
    "project.contract_date",
    "project.sold_date",
    "project.installation_date",
    "project.project_installed",
    "project.system_installed",
]
# What a delivery carries: those, and the ids that tell whose project it is.
PAYLOAD_FIELDS = ["project.id", "project.identifier", *TRIGGER_FIELDS]
_NOT_FOUND = 404


class Registration(BaseModel):
    """The answer of the registration routes (never the secret)."""

    webhook_id: int
    endpoint: str
    enabled: bool
    trigger_fields: list[str]
    payload_fields: list[str]
    registered_at: str
    updated_at: str


@cache
def _ssm() -> SSMProvider:
    return SSMProvider(boto3_client=client("ssm"))


def public_endpoint() -> str:
    """This API's public URL (an SSM parameter the template fills) and the webhook route."""
    name = get_settings().public_api_url_parameter
    if not name:
        raise OpenSolarMisconfigured("PUBLIC_API_URL_PARAMETER is not set: the API's public URL is unknown.")
    try:
        url = str(_ssm().get(name, max_age=300))
    except GetParameterError as exc:
        raise parameter_error(exc, "SSM", "The API's public URL") from exc
    return url.rstrip("/") + WEBHOOK_PATH


def current() -> Registration:
    """The stored registration; NotFound before the first."""
    stored = _stored()
    if stored is None:
        raise errors.NotFound("No webhook is registered in OpenSolar yet; PUT /opensolar/webhook-registration.")
    return stored


def register() -> Registration:
    """Registers our webhook, or updates the one registered before (re-created if it was deleted in OpenSolar)."""
    secret = load_secret().webhook_secret
    if not secret:
        raise OpenSolarMisconfigured("The OpenSolar secret has no webhook_secret to send as the custom header.")
    settings = WebhookSettings(
        endpoint=public_endpoint(),
        enabled=True,
        debug=False,
        trigger_fields=TRIGGER_FIELDS,
        payload_fields=PAYLOAD_FIELDS,
        headers=json.dumps({SECRET_HEADER: secret}),
    )
    opensolar = client_for(load_config())
    stored = _stored()
    webhook: OpenSolarWebhook | None = None
    if stored is not None:
        try:
            webhook = opensolar.update_webhook(stored.webhook_id, settings).value
        except OpenSolarRejected as rejected:
            if rejected.http_status != _NOT_FOUND:
                raise
    if webhook is None:
        webhook = opensolar.create_webhook(settings).value
    return _save(webhook.id, settings.endpoint, True, stored)


def disable() -> Registration:
    """Turns the registered webhook off in OpenSolar (a webhook already gone there counts as off)."""
    stored = current()
    try:
        client_for(load_config()).update_webhook(stored.webhook_id, WebhookSwitch(enabled=False))
    except OpenSolarRejected as rejected:
        if rejected.http_status != _NOT_FOUND:
            raise
    return _save(stored.webhook_id, stored.endpoint, False, stored)


def _stored() -> Registration | None:
    item = read_item(REGISTRATION_KEY)
    if not item:
        return None
    value: dict[str, Any] = TypeDeserializer().deserialize(item["value"])
    return Registration.model_validate({**value, "webhook_id": int(value["webhook_id"])})


def _save(webhook_id: int, endpoint: str, enabled: bool, before: Registration | None) -> Registration:
    at = iso(now())
    registration = Registration(
        webhook_id=webhook_id,
        endpoint=endpoint,
        enabled=enabled,
        trigger_fields=TRIGGER_FIELDS,
        payload_fields=PAYLOAD_FIELDS,
        registered_at=before.registered_at if before else at,
        updated_at=at,
    )
    item: dict[str, Any] = {
        **REGISTRATION_KEY,
        "kind": {"S": "webhook_registration"},
        "value": TypeSerializer().serialize(registration.model_dump()),
    }
    try:
        client("dynamodb").put_item(TableName=get_settings().integration_table, Item=item)
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "DynamoDB") from exc
    return registration
