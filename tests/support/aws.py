"""In-process moto for integration tests: the tables come from template.yaml, named after their logical ids."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

from local.template import load_template, table_definitions

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
