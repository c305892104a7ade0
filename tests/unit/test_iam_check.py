"""The local stack's IAM check: which actions and ARNs a call needs, and how a role's statements decide."""

from __future__ import annotations

import pytest

from local.iam.calls import NotModelled, Place, needs
from local.iam.policies import Role, Statement
from local.iam.report import Grant, Reason, build

PLACE = Place(
    "eu-west-1", "111122223333", lambda name: f"arn:aws:secretsmanager:eu-west-1:111122223333:secret:{name}-AbCdEf"
)
TABLE = "arn:aws:dynamodb:eu-west-1:111122223333:table/Installations"


def pairs(service: str, operation: str, params: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(need.action, need.resource) for need in needs(service, operation, params, PLACE)]


def test_a_query_on_an_index_needs_the_index_arn() -> None:
    assert pairs("dynamodb", "Query", {"TableName": "Installations", "IndexName": "ByOrder"}) == [
        ("dynamodb:Query", f"{TABLE}/index/ByOrder")
    ]


def test_a_transaction_needs_each_items_own_action_on_each_table() -> None:
    items = [
        {"Put": {"TableName": "Installations", "Item": {}}},
        {"Update": {"TableName": "Integration", "Key": {}}},
        {"ConditionCheck": {"TableName": "Orders", "Key": {}}},
        {"Delete": {"TableName": "Installations", "Key": {}}},
    ]
    assert pairs("dynamodb", "TransactWriteItems", {"TransactItems": items}) == [
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:UpdateItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/Integration"),
        ("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"),
        ("dynamodb:DeleteItem", TABLE),
    ]


def test_batch_reads_name_every_table() -> None:
    assert pairs("dynamodb", "BatchGetItem", {"RequestItems": {"Catalog": {}, "Orders": {}}}) == [
        ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/Catalog"),
        ("dynamodb:BatchGetItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"),
    ]


def test_other_services_name_their_resources_as_iam_does() -> None:
    url = "http://127.0.0.1:5000/111122223333/SyncQueue"
    assert pairs("sqs", "SendMessage", {"QueueUrl": url}) == [
        ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:SyncQueue")
    ]
    assert pairs("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}) == [
        ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:SyncQueue")
    ]
    assert pairs("secretsmanager", "GetSecretValue", {"SecretId": "solar/opensolar"}) == [
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:solar/opensolar-AbCdEf")
    ]
    assert pairs("ssm", "GetParameter", {"Name": "/solar/url"}) == [
        ("ssm:GetParameter", "arn:aws:ssm:eu-west-1:111122223333:parameter/solar/url")
    ]
    assert pairs("sesv2", "SendEmail", {"FromEmailAddress": "noreply@example.com"}) == [
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:111122223333:identity/noreply@example.com")
    ]
    assert pairs("cognito-idp", "AdminCreateUser", {"UserPoolId": "eu-west-1_x"}) == [
        ("cognito-idp:AdminCreateUser", "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_x")
    ]
    execution = "arn:aws:states:eu-west-1:111122223333:execution:Ssr:SO-1-1"
    assert pairs("stepfunctions", "DescribeExecution", {"executionArn": execution}) == [
        ("states:DescribeExecution", execution)
    ]


def test_an_unknown_service_is_refused_rather_than_let_through() -> None:
    with pytest.raises(NotModelled):
        needs("kinesis", "PutRecord", {}, PLACE)


def role(*statements: dict) -> Role:  # type: ignore[type-arg]
    return Role("r", "arn:aws:iam::111122223333:role/r", tuple(Statement("p", s) for s in statements))


def test_a_role_allows_what_a_statement_names_and_nothing_else() -> None:
    crud = role(
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": [TABLE, f"{TABLE}/index/*"]}
    )
    assert crud.decide("dynamodb:GetItem", TABLE) is not None
    assert crud.decide("dynamodb:getitem", TABLE) is not None  # action names are case-insensitive
    assert crud.decide("dynamodb:Query", f"{TABLE}/index/ByOrder") is not None
    assert crud.decide("dynamodb:PutItem", TABLE) is None
    assert crud.decide("dynamodb:GetItem", TABLE.replace("Installations", "Orders")) is None


def test_a_deny_wins_and_an_unmet_condition_allows_nothing() -> None:
    allow = {"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"}
    deny = {
        "Effect": "Deny",
        "Action": "ses:*",
        "Resource": "arn:aws:ses:eu-west-1:111122223333:identity/x@example.com",
    }
    assert (
        role(allow, deny).decide("ses:SendEmail", "arn:aws:ses:eu-west-1:111122223333:identity/x@example.com") is None
    )
    conditioned = {**allow, "Condition": {"StringEquals": {"ses:FromAddress": "noreply@example.com"}}}
    assert role(conditioned).decide("ses:SendEmail", "*", {"ses:FromAddress": "noreply@example.com"}) is not None
    assert role(conditioned).decide("ses:SendEmail", "*", {"ses:FromAddress": "other@example.com"}) is None


def test_the_report_fails_on_a_denial_and_on_an_unused_grant_without_a_reason() -> None:
    granted = role(
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Scan", "logs:PutLogEvents"], "Resource": "*"}
    )
    usage = {"used": [{"function": "F", "action": "dynamodb:GetItem", "resource": TABLE, "calls": 3}], "denied": []}
    logs = Reason("*", "logs:*", "*", "the Lambda service writes the logs")
    report = build({"F": granted}, usage, [logs])
    assert [grant.action for grant in report.functions[0].unexplained] == ["dynamodb:Scan"]
    assert not report.ok
    assert build({"F": granted}, usage, [logs, Reason("F", "dynamodb:Scan", "*", "kept for a reason")]).ok
    denied = {**usage, "denied": [{"function": "F", "action": "sqs:SendMessage", "resource": "q", "message": "no"}]}
    assert not build({"F": granted}, denied, [logs, Reason("*", "*", "*", "all")]).ok
    assert Grant("p", "dynamodb:*", "*").covers("dynamodb:GetItem", TABLE)
