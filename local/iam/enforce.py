"""Every AWS call a function's code makes is checked against the function's role before moto serves it.

The stack runs each handler inside `acting_as(function)`; the identity travels in a context variable, so a call
made by the stack's own plumbing (deploy, pollers, readback, the demo's client), which runs outside any handler,
keeps admin credentials. The check sits in botocore's `BaseClient._make_api_call`, which boto3 and pynamodb both
go through, before the request is signed and sent (so botocore's retries never see a denial, as with AWS).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from local.iam.calls import Need, NotModelled, Place, needs
from local.iam.policies import Role
from local.iam.usage import Usage

logger = logging.getLogger("local.iam")

# The code an AccessDenied comes back with, per service, as each one spells it (and its HTTP status).
_DENIAL_CODES: dict[str, tuple[str, int]] = {"sqs": ("AccessDenied", 403), "sns": ("AuthorizationError", 403)}
_DEFAULT_DENIAL = ("AccessDeniedException", 400)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a function and the role it runs under."""

    function: str
    role: Role


_acting: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("local_iam_principal", default=None)


def denial_message(principal: Principal, need: Need) -> str:
    """AWS's wording of an identity-policy denial."""
    caller = f"arn:aws:sts::{principal.role.arn.split(':')[4]}:assumed-role/{principal.role.name}/{principal.function}"
    return (
        f"User: {caller} is not authorized to perform: {need.action} on resource: {need.resource} "
        f"because no identity-based policy allows the {need.action} action"
    )


class Enforcer:
    """The roles of the stack's functions, the check itself, and the record of every decision."""

    def __init__(self, roles: Mapping[str, Role], region: str, account: str, admin_client: Any) -> None:
        self.roles = dict(roles)
        self.usage = Usage()
        self._region = region
        self._account = account
        self._admin_client = admin_client  # (service) → a boto3 client used outside any role
        self._secret_arns: dict[str, str] = {}
        self._lock = threading.Lock()

    def write(self, path: Path) -> None:
        """The usage, with the roles it was checked against (so a report needs nothing else)."""
        roles = {
            function: {
                "name": role.name,
                "arn": role.arn,
                "statements": [{"policy": s.policy, "document": dict(s.document)} for s in role.statements],
            }
            for function, role in self.roles.items()
        }
        path.write_text(json.dumps({"roles": roles, **self.usage.as_json()}, indent=1) + "\n")

    @contextlib.contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        """Run the block under `function`'s role (no role known: the block runs unchecked, and it is recorded)."""
        role = self.roles.get(function)
        if role is None:
            self.usage.unchecked(function)
            yield
            return
        token = _acting.set(Principal(function, role))
        try:
            yield
        finally:
            _acting.reset(token)

    def _secret_arn(self, secret_id: str) -> str:
        if secret_id.startswith("arn:") and secret_id.count(":") >= 6:
            return secret_id
        with self._lock:
            if secret_id not in self._secret_arns:
                token = _acting.set(None)
                try:
                    described = self._admin_client("secretsmanager").describe_secret(SecretId=secret_id)
                finally:
                    _acting.reset(token)
                self._secret_arns[secret_id] = described["ARN"]
            return self._secret_arns[secret_id]

    def check(self, client: BaseClient, operation: str, params: Mapping[str, Any]) -> None:
        """Raise the service's AccessDenied when the calling function's role does not allow the call."""
        principal = _acting.get()
        if principal is None:
            return
        service = client.meta.service_model.service_name
        place = Place(client.meta.region_name or self._region, self._account, self._secret_arn)
        try:
            wanted = needs(service, operation, params, place)
        except NotModelled as error:
            self.usage.denied(principal.function, f"{service}:{operation}", "?", str(error))
            raise _error(client, operation, service, str(error)) from None
        for need in wanted:
            if principal.role.decide(need.action, need.resource, dict(need.context)) is None:
                message = denial_message(principal, need)
                self.usage.denied(principal.function, need.action, need.resource, message)
                logger.error("IAM denied %s: %s", principal.function, message)
                raise _error(client, operation, service, message)
            self.usage.used(principal.function, need.action, need.resource)


def _error(client: BaseClient, operation: str, service: str, message: str) -> ClientError:
    code, status = _DENIAL_CODES.get(service, _DEFAULT_DENIAL)
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    error_class = client.exceptions.from_code(code)
    error: ClientError = error_class(response, operation)
    return error


_installed: list[Enforcer] = []  # the process's enforcer, once installed


def install(enforcer: Enforcer) -> None:
    """Check every call from now on against `enforcer` (patched once per process; a later call replaces it)."""
    first = not _installed
    _installed[:] = [enforcer]
    if not first:
        return
    make_api_call = BaseClient._make_api_call

    def checked(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        _installed[0].check(client, operation_name, api_params)
        return make_api_call(client, operation_name, api_params)

    BaseClient._make_api_call = checked  # type: ignore[method-assign]


def enforce_roles(role_arns: Mapping[str, str], region: str, account: str, admin_client: Any) -> Enforcer:
    """Read each function's role from the stack's IAM and check every call its code makes from now on."""
    from local.iam.policies import read_role

    iam = admin_client("iam")
    roles = {lid: read_role(iam, arn) for lid, arn in role_arns.items() if arn}
    enforcer = Enforcer(roles, region, account, admin_client)
    install(enforcer)
    return enforcer
