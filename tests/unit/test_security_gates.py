"""What the security review asked of template.yaml, held by tests (checkov runs too, in `make lint`; these are the
rules its skipped checks would otherwise cover, said the way we mean them)."""

from __future__ import annotations

from typing import Any

import pytest

from local.aws.template import load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
# Services whose resources hold data: an action wildcard on them would grant reads or writes nobody reviewed.
DATA_SERVICES = ("dynamodb", "sqs", "sns", "secretsmanager", "ssm", "s3", "kms", "ses", "cognito-idp", "states")


def _statements() -> list[tuple[str, dict[str, Any]]]:
    """Every inline IAM statement: functions' and state machines' `Policies`, and any IAM policy or role."""
    found = []
    for logical_id, resource in RESOURCES.items():
        properties = resource.get("Properties", {})
        for policy in properties.get("Policies", []) if isinstance(properties.get("Policies"), list) else []:
            if isinstance(policy, dict) and "Statement" in policy:
                found += [(logical_id, statement) for statement in policy["Statement"]]
        document = properties.get("PolicyDocument") or {}
        found += [(logical_id, statement) for statement in document.get("Statement", [])]
        for inline in properties.get("Policies", []) if resource["Type"] == "AWS::IAM::Role" else []:
            found += [(logical_id, statement) for statement in inline["PolicyDocument"]["Statement"]]
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_there_are_inline_statements_to_check() -> None:
    assert len(_statements()) >= 5


@pytest.mark.parametrize(("logical_id", "statement"), _statements(), ids=lambda value: str(value)[:40])
def test_no_iam_statement_grants_an_action_wildcard_on_data(logical_id: str, statement: dict[str, Any]) -> None:
    for action in _listed(statement["Action"]):
        service, _, name = str(action).partition(":")
        assert action != "*", f"{logical_id}: Action *"
        assert not (service in DATA_SERVICES and "*" in name), f"{logical_id}: {action}"
    if any(str(action).split(":")[0] in DATA_SERVICES for action in _listed(statement["Action"])):
        assert statement["Resource"] != "*", f"{logical_id}: data actions on every resource"


def test_every_function_uses_scoped_policy_templates_or_statements_only() -> None:
    allowed_templates = {
        "DynamoDBCrudPolicy",
        "DynamoDBReadPolicy",
        "SQSSendMessagePolicy",
        "SNSPublishMessagePolicy",
        "StepFunctionsExecutionPolicy",
        "AWSSecretsManagerGetSecretValuePolicy",
        "SSMParameterReadPolicy",
        "LambdaInvokePolicy",
        "Statement",
    }
    for logical_id, resource in {
        **resources_of_type(TEMPLATE, "AWS::Serverless::Function"),
        **resources_of_type(TEMPLATE, "AWS::Serverless::StateMachine"),
    }.items():
        for policy in resource["Properties"].get("Policies", []):
            assert isinstance(policy, dict), f"{logical_id}: a managed policy by name ({policy}) is not scoped"
            assert set(policy) <= allowed_templates, f"{logical_id}: {set(policy) - allowed_templates}"
            for template_name, arguments in policy.items():
                if template_name != "Statement":
                    assert arguments, f"{logical_id}: {template_name} without the resource it is scoped to"


def test_every_table_queue_and_topic_is_encrypted_at_rest() -> None:
    for logical_id, table in resources_of_type(TEMPLATE, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}, logical_id
    for logical_id, queue in resources_of_type(TEMPLATE, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or properties.get("KmsMasterKeyId"), logical_id
    for logical_id, topic in resources_of_type(TEMPLATE, "AWS::SNS::Topic").items():
        assert topic["Properties"].get("KmsMasterKeyId"), logical_id


def open_routes() -> dict[str, tuple[str, dict[str, Any]]]:
    """`METHOD /path` → (function logical id, function) for every route without an authorizer."""
    return {
        f"{event['Properties']['Method']} {event['Properties']['Path']}": (logical_id, function)
        for logical_id, function in resources_of_type(TEMPLATE, "AWS::Serverless::Function").items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and event["Properties"].get("Auth", {}).get("Authorizer") == "NONE"
    }


def test_only_the_webhook_and_the_console_page_go_without_an_authorizer() -> None:
    assert set(open_routes()) == {
        "POST /opensolar/webhook",
        "POST /opensolar/webhook/",
        "GET /console",
        "GET /console/",
        "GET /console/{file}",
    }


def test_the_webhook_route_is_throttled_below_the_rest() -> None:
    api = RESOURCES["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]
    for route in ("POST /opensolar/webhook", "POST /opensolar/webhook/"):
        limits = api["RouteSettings"][route]
        assert 0 < limits["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert 0 < limits["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


def test_the_console_page_is_served_by_a_function_that_can_touch_no_data() -> None:
    served_by = {logical_id for route, (logical_id, _) in open_routes().items() if route.startswith("GET /console")}
    assert served_by == {"ConsoleFunction"}
    console = RESOURCES["ConsoleFunction"]["Properties"]
    assert "Policies" not in console
    assert set(console["Environment"]["Variables"]) == {"STAFF_USER_POOL_CLIENT_ID"}


def test_the_api_writes_access_logs_without_personal_data() -> None:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    for personal in ("sourceIp", "identity", "querystring", "body"):
        assert personal not in settings["Format"]
    assert RESOURCES["HttpApiAccessLogs"]["Properties"]["RetentionInDays"] > 0


def test_secrets_live_in_secrets_manager_and_no_function_gets_one_in_its_environment() -> None:
    for logical_id, function in resources_of_type(TEMPLATE, "AWS::Serverless::Function").items():
        for name, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            assert not any(word in name for word in ("PASSWORD", "TOKEN", "SECRET_KEY")), f"{logical_id}: {name}"
            if "SECRET" in name:
                assert value == {"Ref": "OpenSolarSecret"}, f"{logical_id}: {name} must name the secret, not hold it"
