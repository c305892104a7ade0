"""Events we did not write: AWS's own shapes from `sam local generate-event` (events/aws/, regenerate with
`.venv-sam/bin/sam local generate-event dynamodb update` etc.) each get a sensible answer from every function they
would reach — nothing crashes, nothing is retried for ever, and what can never succeed is parked with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.opensolar_stack import SyncStack
from tests.support.ssr_stack import EVENTS, invoke

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
AWS_EVENTS = EVENTS / "aws"


def generated(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((AWS_EVENTS / name).read_text())
    return event


def test_a_dynamodb_stream_event_of_another_table_is_parked_record_by_record_and_the_batch_acknowledged(
    fresh: SyncStack,
) -> None:
    # given AWS's sample stream event (a table keyed "Id", three records), reaching the Orders stream consumer
    event = generated("dynamodb_update.json")
    # when the handler gets it
    result = invoke("order_paid_handler", event)
    # then no record is retried (none could ever succeed), and each is parked with its reason, as it came
    assert result == {"batchItemFailures": []}
    parked = fresh.parked(fresh.ssr.stream_dlq_url)
    assert sorted(json.loads(p["body"])["eventID"] for p in parked) == sorted(r["eventID"] for r in event["Records"])
    assert {(p["source"], p["reason"]) for p in parked} == {
        ("OrdersStream", "The stream record has no order key (order_id).")
    }
    fresh.sqs.purge_queue(QueueUrl=fresh.ssr.stream_dlq_url)


@pytest.mark.parametrize(("function", "dlq"), [("opensolar_sync", "dlq_url"), ("webhook_processor", "webhook_dlq_url")])
def test_an_sqs_event_with_a_body_that_is_not_ours_is_parked_in_the_consumers_dlq(
    fresh: SyncStack, function: str, dlq: str
) -> None:
    event = generated("sqs_receive_message.json")
    result = invoke(function, event)
    assert result == {"batchItemFailures": []}
    (parked,) = fresh.parked(getattr(fresh, dlq))
    assert parked["body"] == event["Records"][0]["body"]
    assert parked["reason"]


@pytest.mark.parametrize("function", ["catalog_api", "projects_api", "webhook_receiver"])
def test_an_http_api_event_for_a_route_we_do_not_have_is_a_json_4xx(fresh: SyncStack, function: str) -> None:
    answer = invoke(function, generated("apigateway_http_api_proxy.json"))
    body = json.loads(answer["body"])
    assert 400 <= answer["statusCode"] < 500
    assert set(body) >= {"error", "message"}


@pytest.mark.parametrize(
    ("function", "own_event"),
    [("retry_failed", "retry_failed_hourly.json"), ("opensolar_fetch", "opensolar_fetch_daily.json")],
)
def test_a_scheduled_eventbridge_event_runs_the_scheduled_job(fresh: SyncStack, function: str, own_event: str) -> None:
    answer = invoke(function, generated("eventbridge_scheduled_event.json"))
    # the run's summary, as from the template's own schedule
    expected = invoke(function, json.loads((EVENTS / own_event).read_text()))
    assert answer == expected
