"""Every resource of template.yaml exists in the local stack, found through its own AWS API (or the adapter)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.aws.template import load_template
from tests.e2e.conftest import Api

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
Check = Callable[[str, dict[str, Any], dict[str, Any], Callable[[str], Any]], None]


def _physical(stack: dict[str, Any], logical_id: str) -> str:
    physical = stack["resources"].get(logical_id)
    assert physical, f"{logical_id} has no physical id in stack.json"
    return str(physical)


def _ref(value: Any) -> str:
    return str(value["Ref"])


def user_pool(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    pool = aws("cognito-idp").describe_user_pool(UserPoolId=_physical(stack, logical_id))["UserPool"]
    assert pool["Name"] == props["UserPoolName"]["Fn::Sub"].replace(
        "${Environment}", stack["parameters"]["Environment"]
    )


def user_pool_client(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    pool_id = _physical(stack, _ref(props["UserPoolId"]))
    client = aws("cognito-idp").describe_user_pool_client(UserPoolId=pool_id, ClientId=_physical(stack, logical_id))
    assert client["UserPoolClient"]["ClientName"] == props["ClientName"]


def user_pool_group(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    pool_id = _physical(stack, _ref(props["UserPoolId"]))
    group = aws("cognito-idp").get_group(UserPoolId=pool_id, GroupName=_physical(stack, logical_id))["Group"]
    assert group["GroupName"] == props["GroupName"]


def secret(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=_physical(stack, logical_id))["SecretString"])
    generated = props.get("GenerateSecretString", {})
    if "GenerateStringKey" in generated:
        assert len(value[generated["GenerateStringKey"]]) == generated.get("PasswordLength", 32)


def table(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    described = aws("dynamodb").describe_table(TableName=_physical(stack, logical_id))["Table"]
    assert described["KeySchema"] == props["KeySchema"]
    if "StreamSpecification" in props:
        assert described["StreamSpecification"]["StreamViewType"] == props["StreamSpecification"]["StreamViewType"]
    indexes = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
    assert indexes == {index["IndexName"] for index in props.get("GlobalSecondaryIndexes", [])}


def topic(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    attributes = aws("sns").get_topic_attributes(TopicArn=_physical(stack, logical_id))["Attributes"]
    assert attributes["DisplayName"] == props.get("DisplayName", "")


def queue(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    url = _physical(stack, logical_id)
    attributes = aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if "RedrivePolicy" in props:
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == props["RedrivePolicy"]["maxReceiveCount"]
        dead_letter = _physical(stack, props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
        assert redrive["deadLetterTargetArn"].rsplit(":", 1)[1] == dead_letter.rsplit("/", 1)[1]


def http_api(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    declared = {
        f"{event['Properties']['Method'].upper()} {event['Properties']['Path']}"
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and _ref(event["Properties"].get("ApiId", {"Ref": logical_id})) == logical_id
    }
    routes = {route["route_key"]: route for route in stack["routes"]}
    assert declared <= set(routes)
    for route_key in declared:  # served: the authorizer (or the function) answers, not API Gateway's "no route"
        method, path = route_key.split(" ", 1)
        answer = requests.request(method, stack["api_url"] + path.replace("{", "x").replace("}", ""), timeout=10)
        is_json = answer.headers.get("content-type", "").startswith("application/json")
        assert not (is_json and answer.json() == {"message": "Not Found"}), route_key  # the console answers HTML
        if routes[route_key]["authorizer"]:
            assert answer.status_code == 401, route_key


def layer(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    name, number = _physical(stack, logical_id).rsplit(":", 2)[-2:]  # moto's GetLayerVersionByArn answers 500
    version = aws("lambda").get_layer_version(LayerName=name, VersionNumber=int(number))
    assert version["Description"] == props["Description"]


def function(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    config = aws("lambda").get_function_configuration(FunctionName=_physical(stack, logical_id))
    expected_variables = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    expected_variables |= set(props.get("Environment", {}).get("Variables", {}))
    assert set(config["Environment"]["Variables"]) == expected_variables
    assert stack["functions"][logical_id]["environment"] == config["Environment"]["Variables"]
    for event in props.get("Events", {}).values():
        if event["Type"] in ("DynamoDB", "SQS", "Kinesis"):
            mappings = [m for m in stack["event_source_mappings"].values() if m["function"] == logical_id]
            assert any(m["kind"] == event["Type"].lower() for m in mappings), (
                f"{logical_id}: {event['Type']} not polled"
            )
        if event["Type"] in ("Schedule", "ScheduleV2"):
            assert any(s["function"] == logical_id for s in stack["schedules"]), f"{logical_id}: schedule missing"


def state_machine(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    described = aws("stepfunctions").describe_state_machine(stateMachineArn=_physical(stack, logical_id))
    definition = json.loads(described["definition"])
    assert "${" not in described["definition"], "DefinitionSubstitutions were not applied"
    assert definition["StartAt"]
    assert described["type"] == props.get("Type", "STANDARD")


def alarm(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    alarms = aws("cloudwatch").describe_alarms(AlarmNames=[_physical(stack, logical_id)])["MetricAlarms"]
    assert len(alarms) == 1
    if "Metrics" in props:  # metric math: the same queries, by id, and the one expression it alarms on
        assert [query["Id"] for query in alarms[0]["Metrics"]] == [query["Id"] for query in props["Metrics"]]
    else:
        assert alarms[0]["MetricName"] == props["MetricName"]
    assert alarms[0]["AlarmActions"] == [_physical(stack, _ref(action)) for action in props["AlarmActions"]]


def dashboard(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    body = aws("cloudwatch").get_dashboard(DashboardName=_physical(stack, logical_id))["DashboardBody"]
    assert "${" not in body, "the body's substitutions were not applied"
    widgets = json.loads(body)["widgets"]
    assert len(widgets) == len(json.loads(props["DashboardBody"]["Fn::Sub"])["widgets"])


def log_group(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    name = _physical(stack, logical_id)
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert [(group["logGroupName"], group.get("retentionInDays")) for group in groups] == [
        (name, props["RetentionInDays"])
    ]


def ssm_parameter(logical_id: str, props: dict[str, Any], stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    value = aws("ssm").get_parameter(Name=_physical(stack, logical_id))["Parameter"]["Value"]
    if "execute-api" in json.dumps(props.get("Value")):
        assert value == stack["api_url"]  # the API's public URL: the local one here


CHECKS: dict[str, Check] = {
    "AWS::Cognito::UserPool": user_pool,
    "AWS::Cognito::UserPoolClient": user_pool_client,
    "AWS::Cognito::UserPoolGroup": user_pool_group,
    "AWS::SecretsManager::Secret": secret,
    "AWS::DynamoDB::Table": table,
    "AWS::SNS::Topic": topic,
    "AWS::SQS::Queue": queue,
    "AWS::Serverless::HttpApi": http_api,
    "AWS::Serverless::LayerVersion": layer,
    "AWS::Serverless::Function": function,
    "AWS::Serverless::StateMachine": state_machine,
    "AWS::CloudWatch::Alarm": alarm,
    "AWS::CloudWatch::Dashboard": dashboard,
    "AWS::Logs::LogGroup": log_group,
    "AWS::SSM::Parameter": ssm_parameter,
}


@pytest.mark.parametrize("logical_id", sorted(RESOURCES))
def test_the_template_resource_exists_in_the_local_stack(
    logical_id: str, local_stack: dict[str, Any], aws: Callable[[str], Any]
) -> None:
    # given a resource of template.yaml
    resource = RESOURCES[logical_id]
    check = CHECKS.get(resource["Type"])
    assert check is not None, f"add a check for {resource['Type']} to tests/e2e/test_resources.py"
    # when / then its physical resource is found through the matching API, as the template describes it
    check(logical_id, resource.get("Properties", {}), local_stack, aws)


def test_nothing_in_the_template_is_left_unemulated(local_stack: dict[str, Any]) -> None:
    assert local_stack["not_emulated"] == {}


def test_the_opensolar_secret_holds_the_fake_opensolar_credentials(
    local_stack: dict[str, Any], aws: Callable[[str], Any]
) -> None:
    secret_arn = local_stack["resources"]["OpenSolarSecret"]
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert value["webhook_secret"] == local_stack["webhook_secret"]
    assert value["webhook_secret"].isalnum()
    assert value["username"] == local_stack["opensolar_credentials"]["username"]
    assert value["password"] == local_stack["opensolar_credentials"]["password"]
    assert "base_url" not in value, "the secret holds secrets only; the URL is configuration"


def test_the_integration_is_configured_for_the_fake_opensolar(local_stack: dict[str, Any], api: Api) -> None:
    answer = api.request("GET", "/opensolar/config")
    assert answer.status_code == 200
    config = answer.json()
    assert config["base_url"] == local_stack["opensolar_url"]
    assert config["org_id"] == local_stack["opensolar_credentials"]["org_id"]
    assert "password" not in json.dumps(config)


def test_the_fake_opensolar_answers(local_stack: dict[str, Any]) -> None:
    answer = requests.get(local_stack["opensolar_url"], timeout=10)
    assert answer.status_code < 500


def test_the_sender_address_is_a_verified_ses_identity(local_stack: dict[str, Any], aws: Callable[[str], Any]) -> None:
    identities = aws("ses").list_identities(IdentityType="EmailAddress")["Identities"]
    assert local_stack["parameters"]["SenderEmail"] in identities


def test_every_function_of_the_template_can_be_invoked(local_stack: dict[str, Any]) -> None:
    functions = {lid for lid, res in RESOURCES.items() if res["Type"] == "AWS::Serverless::Function"}
    assert set(local_stack["functions"]) == functions


def test_what_the_stack_sent_can_be_read_back_from_motos_model_data(local_stack: dict[str, Any]) -> None:
    answer = requests.get(f"{local_stack['aws_endpoint_url']}/moto-api/data.json", timeout=30)
    assert answer.status_code == 200
    assert {"ses", "sns", "sqs"} <= set(answer.json())
