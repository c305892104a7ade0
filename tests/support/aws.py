"""In-process moto for integration tests: the tables come from template.yaml, named after their logical ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from local.aws.template import load_template, table_definitions

# The table names the tests use; tests/conftest.py exports them as the functions' environment variables.
TABLE_ENV = {
    "CatalogTable": "CATALOG_TABLE",
    "OrdersTable": "ORDERS_TABLE",
    "InstallationsTable": "INSTALLATIONS_TABLE",
    "IntegrationTable": "INTEGRATION_TABLE",
}


@contextmanager
def moto_tables() -> Iterator[dict[str, str]]:
    """Start moto and create every table of the template; yields logical id → table name."""
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        names = {}
        for logical_id, kwargs in table_definitions(load_template()).items():
            dynamodb.create_table(TableName=logical_id, **kwargs)
            names[logical_id] = logical_id
        yield names


@contextmanager
def dynamodb_throttling(operation: str, times: int) -> Iterator[list[int]]:
    """Fault injection: the first `times` DynamoDB `operation` calls, from any client (boto3's or pynamodb's), fail
    with ProvisionedThroughputExceededException before reaching moto; later calls go through. Yields the attempt
    count."""
    attempts = [0]
    unpatched: Callable[..., Any] = BaseClient._make_api_call

    def failing_first(client: BaseClient, operation_name: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb" and operation_name == operation:
            attempts[0] += 1
            if attempts[0] <= times:
                error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeded"}
                raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation_name)
        return unpatched(client, operation_name, params)

    with mock.patch.object(BaseClient, "_make_api_call", failing_first):
        yield attempts


def parked_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """A dead-letter queue's messages as `{body, reason, source}` (the reason a consumer parked it with, if any);
    each is made visible again at once, so the queue is left as it was."""
    found: dict[str, dict[str, Any]] = {}
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        found |= {message["MessageId"]: message for message in messages}
    for message in found.values():
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return [
        {
            "body": message["Body"],
            "reason": message.get("MessageAttributes", {}).get("parked_reason", {}).get("StringValue"),
            "source": message.get("MessageAttributes", {}).get("parked_from", {}).get("StringValue"),
        }
        for message in found.values()
    ]
