"""The tables the tests build are the template's own."""

from __future__ import annotations

import boto3

from local.aws.template import load_template, resources_of_type
from tests.support.aws import TABLE_ENV, moto_tables


def test_every_template_table_is_created_with_its_stream_and_indexes() -> None:
    # given the template's tables
    template = load_template()
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    # when the test helper builds them on moto
    with moto_tables() as names:
        client = boto3.client("dynamodb")
        described = {lid: client.describe_table(TableName=name)["Table"] for lid, name in names.items()}
    # then each exists, with the streams and indexes the template declares
    assert set(described) == set(tables) == set(TABLE_ENV)
    assert described["OrdersTable"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    index_names = {i["IndexName"] for i in described["IntegrationTable"]["GlobalSecondaryIndexes"]}
    assert index_names == {"BySyncStatus", "ByInstallationStatus", "ByOpenSolarProject", "WebhookLogs"}
