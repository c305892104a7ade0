"""Customer portal access: a Cognito user in the customer pool, created once per customer and never told a password.

The temporary password is random, suppressed (no Cognito invitation), and never logged, emailed or returned: the
customer sets a password with the portal's "Forgot password" flow (a code to their email or phone).
"""

from __future__ import annotations

import re
import secrets
import string
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import error_code, upstream_error
from solar_core.installations.privacy import mask_phone
from solar_core.orders.models import Customer
from solar_core.settings import get_settings

logger = Logger(child=True)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PASSWORD_LENGTH = 24


class PortalAccess(StrEnum):
    CREATED = "created"
    EXISTING = "existing"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def portal_username(customer: Customer) -> str:
    """The WhatsApp id's digits, else the phone's (E.164 without `+`), else `customer-<customer id>`."""
    for candidate in (customer.whatsapp_id, customer.phone):
        digits = _digits(candidate)
        if len(digits) >= 7:
            return digits
    return f"customer-{customer.customer_id}"


def e164(phone: str) -> str | None:
    """`+` and digits when the number is a plausible E.164 number (Cognito refuses anything else)."""
    candidate = "+" + _digits(phone) if phone.strip().startswith("+") or len(_digits(phone)) > 10 else ""
    return candidate if _E164.match(candidate) else None


def temporary_password() -> str:
    """Meets the customer pool's policy (length, upper, lower, digits); from `secrets`, used once and dropped."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(_PASSWORD_LENGTH))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def _attributes(customer: Customer) -> list[dict[str, str]]:
    attributes = [{"Name": "name", "Value": customer.full_name}]
    phone = e164(customer.phone)
    if phone:
        attributes.append({"Name": "phone_number", "Value": phone})
    if customer.email:
        attributes.append({"Name": "email", "Value": customer.email})
    return attributes


def grant_portal_access(customer: Customer, cognito: Any | None = None) -> PortalAccess:
    """Creates the customer's portal user (MessageAction SUPPRESS); an existing user is reused as it is."""
    idp = cognito or client("cognito-idp")
    username = portal_username(customer)
    try:
        idp.admin_create_user(
            UserPoolId=get_settings().customer_user_pool_id,
            Username=username,
            UserAttributes=_attributes(customer),
            TemporaryPassword=temporary_password(),
            MessageAction="SUPPRESS",
        )
    except ClientError as exc:
        if error_code(exc) == "UsernameExistsException":
            logger.info("portal user exists; reused", extra={"portal_user": mask_phone(username)})
            return PortalAccess.EXISTING
        raise upstream_error(exc, "Cognito") from exc
    except BotoCoreError as exc:
        raise upstream_error(exc, "Cognito") from exc
    logger.info("portal user created", extra={"portal_user": mask_phone(username)})
    return PortalAccess.CREATED
