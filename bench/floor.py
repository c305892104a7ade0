"""The floor a webhook acknowledgement is measured against: a handler with nothing but bare boto3 and `json` that
makes the same AWS calls as `webhook_receiver` (one conditional PutItem that stores the delivery, one SendMessage),
with no secret check, no validation, no logging, no metrics. What the receiver takes above it is the price of our
code and its libraries."""

from __future__ import annotations

import json
from typing import Any

import boto3


class FloorHandler:
    def __init__(self, table: str, queue_url: str) -> None:
        self._dynamodb = boto3.client("dynamodb")
        self._sqs = boto3.client("sqs")
        self._table = table
        self._queue_url = queue_url

    def __call__(self, event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
        delivery = json.loads(event["body"])
        key = f"WEBHOOK#floor-{delivery['model_id']}-{delivery['event_id']}"
        self._dynamodb.put_item(
            TableName=self._table,
            Item={"pk": {"S": key}, "sk": {"S": "DELIVERY"}, "raw": {"S": event["body"]}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"event_key": key}))
        return {"statusCode": 200, "body": json.dumps({"status": "accepted"})}
