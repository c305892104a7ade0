"""What 1,000 paid orders and 10,000 webhook deliveries cost on AWS, from what the bench measured (AWS calls, DynamoDB
request units, Lambda invocations, state transitions, handler time) and the price table in bench/prices.json.

Measured in process on moto, a handler's time is a floor: on AWS each AWS call adds a network round trip. The model
adds `AWS_CALL_MS` per call, and states every other assumption beside its line, so the estimate can be redone with
better figures. Free tiers are left out (a steady business outgrows them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

PRICES = json.loads((Path(__file__).resolve().parent / "prices.json").read_text())
MEMORY_GB = 0.5  # template.yaml Globals MemorySize: 512
AWS_CALL_MS = 10.0  # an AWS API round trip from Lambda in the same region, added to the in-process floor
OPENSOLAR_CALL_MS = 300.0  # one OpenSolar write, as its API answers from Europe (not measurable here)
LOG_BYTES_PER_INVOCATION = 2_000  # Powertools JSON lines: START/END/REPORT plus 2-4 of ours, with metrics (EMF)
STAFF_EMAIL_SUBSCRIBERS = 3  # staff addresses subscribed to the staff topic (each delivery is billed)


def _price(name: str) -> float:
    entry = PRICES["prices"][name]
    return float(entry["usd"]) / float(entry["per"])


def _lambda(invocations: float, handler_ms: float) -> dict[str, float]:
    billed_s = math.ceil(handler_ms) / 1000  # billed per ms, per invocation; handler_ms is the total over them
    return {
        "lambda_request": invocations * _price("lambda_request"),
        "lambda_gb_second_arm64": billed_s * MEMORY_GB * _price("lambda_gb_second_arm64"),
        "cloudwatch_logs_ingested_gb": invocations
        * LOG_BYTES_PER_INVOCATION
        / 1e9
        * _price("cloudwatch_logs_ingested_gb"),
        # Tracing: Active on every function; an upper bound (default sampling: 1 a second, then 5%)
        "xray_trace_recorded": invocations * _price("xray_trace_recorded"),
    }


def _dynamodb(units: dict[str, float]) -> dict[str, float]:
    return {
        "dynamodb_read_request_unit": units.get("dynamodb.RRU", 0.0) * _price("dynamodb_read_request_unit"),
        "dynamodb_write_request_unit": units.get("dynamodb.WRU", 0.0) * _price("dynamodb_write_request_unit"),
    }


def _add(*parts: dict[str, float]) -> dict[str, float]:
    total: dict[str, float] = {}
    for part in parts:
        for name, usd in part.items():
            total[name] = total.get(name, 0.0) + usd
    return total


def per_paid_order(paid_order: dict[str, Any], sync: dict[str, Any]) -> dict[str, float]:
    """One paid order: the CRM's PUT, the stream handler, the workflow, its email, notice and sync request, and the
    OpenSolar sync that follows."""
    calls = paid_order["aws_api_calls_total"]
    invocations = sum(paid_order["lambda_invocations"].values())
    put_order = {  # PUT /orders/{id}: one API request, one catalog_api run (one conditional write, one read)
        "apigateway_http_request": _price("apigateway_http_request"),
        **_lambda(1, 20 + 2 * AWS_CALL_MS),
        **_dynamodb({"dynamodb.RRU": 1.0, "dynamodb.WRU": 1.0}),
    }
    workflow = {
        **_lambda(invocations, paid_order["lambda_handler_ms_total"] + calls * AWS_CALL_MS),
        **_dynamodb(paid_order["dynamodb_request_units"]),
        "stepfunctions_state_transition": paid_order["state_transitions"] * _price("stepfunctions_state_transition"),
        "ses_email": _price("ses_email"),
        "sns_publish": _price("sns_publish"),
        "sns_email_delivery": STAFF_EMAIL_SUBSCRIBERS * _price("sns_email_delivery"),
        # the sync request: SendMessage, then the event source mapping's ReceiveMessage and DeleteMessage
        "sqs_request": 3 * _price("sqs_request"),
    }
    sync_calls = sync["aws_calls_per_request_total"]
    opensolar_sync = {
        **_lambda(1, OPENSOLAR_CALL_MS + sync_calls * AWS_CALL_MS),
        **_dynamodb(sync.get("dynamodb_request_units_per_request", {})),
        "secretsmanager_api_call": 0.01 * _price("secretsmanager_api_call"),  # cached: one read per container
    }
    return _add(put_order, workflow, opensolar_sync)


def per_webhook(webhooks: dict[str, Any]) -> dict[str, float]:
    """One delivery: the API request, the receiver (store + queue), the processor's share of a batch."""
    receiver_calls = sum(webhooks["aws_calls_per_delivery_acknowledged"].values())
    processor_calls = sum(webhooks["processor_aws_calls_per_delivery"].values())
    processor_invocations = max(webhooks["processor_invocations_per_delivery"], 0.1)  # batches of up to 10
    return _add(
        {"apigateway_http_request": _price("apigateway_http_request")},
        _lambda(1, webhooks["receiver_handler"]["p50_ms"] + receiver_calls * AWS_CALL_MS),
        _dynamodb(webhooks["dynamodb_request_units_per_delivery_acknowledged"]),
        _lambda(processor_invocations, webhooks["processor_ms_per_delivery"] + processor_calls * AWS_CALL_MS),
        _dynamodb(webhooks["processor_dynamodb_request_units_per_delivery"]),
        # SendMessage, plus the mapping's ReceiveMessage and DeleteMessageBatch shared by a batch
        {"sqs_request": (1 + 2 * processor_invocations) * _price("sqs_request")},
    )


def estimate(results: dict[str, Any]) -> dict[str, Any]:
    order = per_paid_order(results["paid_order_in_process_on_moto"], results["opensolar_out_in_process"]["normal_case"])
    webhook = per_webhook(results["opensolar_webhooks"]["in_process_on_moto"])
    return {
        "region": PRICES["region"],
        "prices_as_of": PRICES["as_of"],
        "per_1000_paid_orders_usd": round(1000 * sum(order.values()), 4),
        "per_1000_paid_orders_by_item_usd": {k: round(1000 * v, 4) for k, v in sorted(order.items()) if v},
        "per_10000_webhooks_usd": round(10000 * sum(webhook.values()), 4),
        "per_10000_webhooks_by_item_usd": {k: round(10000 * v, 4) for k, v in sorted(webhook.items()) if v},
        "assumptions": {
            "lambda_memory_gb": MEMORY_GB,
            "aws_call_round_trip_ms": AWS_CALL_MS,
            "opensolar_write_ms": OPENSOLAR_CALL_MS,
            "log_bytes_per_invocation": LOG_BYTES_PER_INVOCATION,
            "staff_email_subscribers": STAFF_EMAIL_SUBSCRIBERS,
            "left_out": "free tiers; Cognito (billed per monthly active portal user, not per order); the event "
            "source mappings' idle polling of SQS; storage (GB-months) and point-in-time recovery",
        },
    }
