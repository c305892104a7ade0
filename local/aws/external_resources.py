"""Resources moto's CloudFormation skips (Cognito, Secrets Manager), created through their own APIs instead."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from local.aws.intrinsics import OfflineEvaluator, referenced_ids

logger = logging.getLogger("local.aws.deploy")

# (boto3 client factory, logical id, evaluated properties, region) → attributes ("Ref" and GetAtt names)
Creator = Callable[[Callable[[str], Any], str, dict[str, Any], str], dict[str, str]]


def api_arguments(client: Any, operation: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties the API operation accepts (CloudFormation-only keys are logged and left out)."""
    members = client.meta.service_model.operation_model(operation).input_shape.members
    ignored = sorted(set(properties) - set(members))
    if ignored:
        logger.debug("%s ignores %s", operation, ignored)
    return {key: value for key, value in properties.items() if key in members}


def _user_pool(clients: Callable[[str], Any], logical_id: str, props: dict[str, Any], region: str) -> dict[str, str]:
    cognito = clients("cognito-idp")
    props = {"PoolName": props.pop("UserPoolName", logical_id), **props}
    pool = cognito.create_user_pool(**api_arguments(cognito, "CreateUserPool", props))["UserPool"]
    provider = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"
    return {
        "Ref": pool["Id"],
        "UserPoolId": pool["Id"],
        "Arn": pool["Arn"],
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
    }


def _user_pool_client(
    clients: Callable[[str], Any], logical_id: str, props: dict[str, Any], _region: str
) -> dict[str, str]:
    cognito = clients("cognito-idp")
    props.setdefault("ClientName", logical_id)
    created = cognito.create_user_pool_client(**api_arguments(cognito, "CreateUserPoolClient", props))["UserPoolClient"]
    return {"Ref": created["ClientId"], "ClientSecret": created.get("ClientSecret", ""), "Name": created["ClientName"]}


def _user_pool_group(
    clients: Callable[[str], Any], logical_id: str, props: dict[str, Any], _region: str
) -> dict[str, str]:
    cognito = clients("cognito-idp")
    props.setdefault("GroupName", logical_id)
    cognito.create_group(**api_arguments(cognito, "CreateGroup", props))
    return {"Ref": props["GroupName"]}


def _secret(clients: Callable[[str], Any], logical_id: str, props: dict[str, Any], _region: str) -> dict[str, str]:
    secrets = clients("secretsmanager")
    props.setdefault("Name", f"{logical_id}-local")
    generate = props.pop("GenerateSecretString", None)
    if generate is not None:
        props["SecretString"] = _generated_secret_string(secrets, generate)
    created = secrets.create_secret(**api_arguments(secrets, "CreateSecret", props))
    return {"Ref": created["ARN"], "Id": created["ARN"]}


def _generated_secret_string(secrets: Any, generate: dict[str, Any]) -> str:
    """GenerateSecretString: a random password, alone or under GenerateStringKey in SecretStringTemplate."""
    options = api_arguments(secrets, "GetRandomPassword", generate)
    password: str = secrets.get_random_password(**options)["RandomPassword"]
    if "SecretStringTemplate" not in generate:
        return password
    document = json.loads(generate["SecretStringTemplate"])
    document[generate["GenerateStringKey"]] = password
    return json.dumps(document)


CREATORS: dict[str, Creator] = {
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolGroup": _user_pool_group,
    "AWS::SecretsManager::Secret": _secret,
}


def create_external_resources(
    resources: Mapping[str, dict[str, Any]],
    evaluator: OfflineEvaluator,
    clients: Callable[[str], Any],
    region: str,
) -> dict[str, dict[str, str]]:
    """Create every resource whose type has a creator, dependencies first; logical id → attributes."""
    pending = {lid: res for lid, res in resources.items() if res["Type"] in CREATORS}
    for logical_id, resource in list(pending.items()):
        if "Condition" in resource and not evaluator.condition(resource["Condition"]):
            del pending[logical_id]
    created: dict[str, dict[str, str]] = {}
    while pending:
        ready = [lid for lid, res in pending.items() if not (referenced_ids(res) & set(pending))]
        if not ready:
            raise ValueError(f"circular references between {sorted(pending)}")
        for logical_id in ready:
            resource = pending.pop(logical_id)
            properties = evaluator.evaluate(resource.get("Properties", {}))
            created[logical_id] = CREATORS[resource["Type"]](clients, logical_id, properties, region)
            evaluator.known[logical_id] = created[logical_id]
    return created
