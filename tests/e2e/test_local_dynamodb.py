"""The local stack's DynamoDB keeps DynamoDB's promises under threads: a cancelled transaction changes nothing it
named (and only that), and concurrent transactions on other items are not rolled back with it
(local/aws/moto_server.py `_dynamodb_as_dynamodb_isolates`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"TEST#{name}"}, "sk": {"S": "ITEM"}}


def _put(table: str, name: str, value: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {**_key(name), "value": {"S": value}}}}


def _must_not_exist(table: str, name: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {"TableName": table, "Key": _key(name), "ConditionExpression": "attribute_not_exists(pk)"}
    }


def test_a_cancelled_transaction_leaves_what_it_named_as_it_was(
    local_stack: dict[str, Any], aws: Callable[[str], Any]
) -> None:
    dynamodb = aws("dynamodb")
    table = local_stack["resources"]["IntegrationTable"]
    run = uuid.uuid4().hex[:8]
    existing, new, blocker = f"{run}-existing", f"{run}-new", f"{run}-blocker"
    dynamodb.put_item(TableName=table, Item={**_key(existing), "value": {"S": "before"}})
    dynamodb.put_item(TableName=table, Item={**_key(blocker), "value": {"S": "here"}})
    # when a transaction overwrites one item, creates another, then fails its condition on a third
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[_put(table, existing, "after"), _put(table, new, "x"), _must_not_exist(table, blocker)]
        )
    # then the first is as it was and the second was never made
    assert dynamodb.get_item(TableName=table, Key=_key(existing))["Item"]["value"] == {"S": "before"}
    assert "Item" not in dynamodb.get_item(TableName=table, Key=_key(new))


def test_failing_transactions_do_not_roll_back_other_writers(
    local_stack: dict[str, Any], aws: Callable[[str], Any]
) -> None:
    dynamodb = aws("dynamodb")
    table = local_stack["resources"]["IntegrationTable"]
    run = uuid.uuid4().hex[:8]
    blocker = f"{run}-blocker"
    dynamodb.put_item(TableName=table, Item={**_key(blocker), "value": {"S": "here"}})

    def write(n: int) -> None:
        if n % 2:
            with pytest.raises(ClientError, match="TransactionCanceled"):
                dynamodb.transact_write_items(
                    TransactItems=[_put(table, f"{run}-doomed-{n}", "x"), _must_not_exist(table, blocker)]
                )
        else:
            dynamodb.transact_write_items(TransactItems=[_put(table, f"{run}-kept-{n}", "x")])

    # when 40 transactions run at once, half of them cancelled
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(40)))
    # then every successful one is there and no cancelled one is
    kept = [n for n in range(40) if "Item" in dynamodb.get_item(TableName=table, Key=_key(f"{run}-kept-{n}"))]
    doomed = [n for n in range(40) if "Item" in dynamodb.get_item(TableName=table, Key=_key(f"{run}-doomed-{n}"))]
    assert (kept, doomed) == (list(range(0, 40, 2)), [])
