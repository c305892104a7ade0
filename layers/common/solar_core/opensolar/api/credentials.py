"""The OpenSolar API user and the webhook secret, from Secrets Manager through Powertools Parameters (cached)."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from pydantic import BaseModel, ConfigDict, ValidationError

from solar_core.aws_clients import client
from solar_core.aws_errors import parameter_error
from solar_core.opensolar.api.errors import OpenSolarMisconfigured
from solar_core.settings import get_settings

CACHE_SECONDS = 300


class OpenSolarSecret(BaseModel):
    """The secret's JSON (template.yaml `OpenSolarSecret`); never logged, never in an answer."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    username: str = ""
    password: str = ""
    webhook_secret: str = ""

    def __repr__(self) -> str:
        return "OpenSolarSecret(***)"


@cache
def _provider() -> SecretsProvider:
    return SecretsProvider(boto3_client=client("secretsmanager"))


def load_secret(*, refresh: bool = False) -> OpenSolarSecret:
    """The secret, from the container's cache unless `refresh` (after OpenSolar refused the credentials we had)."""
    secret_id = get_settings().opensolar_secret_arn
    if not secret_id:
        raise OpenSolarMisconfigured("OPENSOLAR_SECRET_ARN is not set: the function has no OpenSolar credentials.")
    try:
        raw = _provider().get(secret_id, transform="json", max_age=CACHE_SECONDS, force_fetch=refresh)
    except TransformParameterError as exc:
        raise OpenSolarMisconfigured("The OpenSolar secret is not a JSON object.") from exc
    except GetParameterError as exc:
        raise parameter_error(exc, "Secrets Manager", "The OpenSolar secret") from exc
    try:
        return OpenSolarSecret.model_validate(raw)
    except ValidationError as exc:
        raise OpenSolarMisconfigured("The OpenSolar secret is not a JSON object of strings.") from exc
