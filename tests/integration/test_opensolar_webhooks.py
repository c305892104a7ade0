"""OpenSolar in: the webhook receiver (secret, size, formats, dedupe, at most 2 AWS calls) and the processor (stage
mapping, forward-only status, old deliveries, unknown projects, exactly once), with deliveries the fake OpenSolar
makes itself (issue: OpenSolar in)."""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from solar_core.opensolar.inbound.webhook_log import errors_since
from tests.support.aws import dynamodb_throttling
from tests.support.opensolar_stack import WEBHOOK_SECRET, SyncStack
from tests.support.opensolar_stack import project_delivery as delivery
from tests.support.ssr_stack import EVENTS, invoke

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

UNREACHABLE = "http://127.0.0.1:9/opensolar/webhook/"  # the fake makes its deliveries; the tests hand them over
FIELDS = ["project.identifier", "project.stage", "project.workflow", "project.contract_date", "project.sold_date"]


@pytest.fixture
def hooked(fresh: SyncStack) -> SyncStack:
    """The fresh stack with a webhook registered in the fake (its deliveries are read back, not sent)."""
    hook = {"endpoint": UNREACHABLE, "enabled": True, "debug": False}
    fresh.fake.create_webhook({**hook, "trigger_fields": FIELDS, "payload_fields": FIELDS})
    fresh.fake.inject_deliveries(hold_next=1000)  # held: nothing is attempted against the unreachable endpoint
    return fresh


def synced_project(stack: SyncStack) -> tuple[str, int]:
    """A paid order's installation request, synced: (its id, its OpenSolar project id)."""
    request_id = stack.installation_request()
    stack.deliver()
    return request_id, int(stack.link(request_id)["opensolar_project_id"])


def moved_in_opensolar(stack: SyncStack, project_id: int, stage_id: int) -> list[dict[str, Any]]:
    """Moves the project in the fake, as a user of OpenSolar would; the deliveries that made."""
    before = len(stack.deliveries_for(project_id))
    stack.fake.set_stage(project_id, active_stage_id=stage_id)
    return stack.deliveries_for(project_id)[before:]


# ---------------------------------------------------------------- the receiver


@pytest.mark.parametrize("secret", [None, "", "not-the-secret", "s3cr3t-hook-"])
def test_a_wrong_or_missing_secret_is_a_401_and_nothing_is_stored(
    hooked: SyncStack, secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    body = delivery(4242, "IR-00000000", stage_id=7, milestone=2, at=1795000000, event_id=1)
    with caplog.at_level(logging.WARNING):
        answer = hooked.webhook(body, secret=secret)
    assert (answer.status, answer.body["error"]) == (401, "unauthenticated")
    assert any(record.getMessage() == "webhook refused" for record in caplog.records)
    assert hooked.webhook_item("Project:4242:1") == {}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"hello": "world"}), "Not a webhook delivery"),
        (
            json.dumps({"model": "Project", "model_id": "abc", "event": "UPDATE", "event_id": 1, "timestamp": "1"}),
            "invalid",
        ),
        (
            json.dumps({"model": "Invoice", "model_id": 1, "event": "UPDATE", "event_id": 1, "timestamp": "1"}),
            "invalid",
        ),
        (json.dumps({"event": "project.exploded", "project_id": 1, "data": {}}), "invalid"),
        (json.dumps({"event": "project.contract_signed", "project_id": "x", "data": {}}), "invalid"),
    ],
)
def test_anything_but_a_delivery_is_a_400_with_the_reason(hooked: SyncStack, body: str, problem: str) -> None:
    answer = hooked.webhook(body)
    assert (answer.status, answer.body["error"]) == (400, "invalid_input")
    assert problem in answer.body["message"]


def test_a_body_over_64_kb_is_a_413(hooked: SyncStack) -> None:
    body = delivery(4242, "IR-00000000", stage_id=7, milestone=2, at=1795000000, event_id=2)
    body["fields"]["notes"] = "x" * 70_000
    answer = hooked.webhook(body)
    assert (answer.status, answer.body["error"]) == (413, "payload_too_large")


def test_a_body_api_gateway_passed_base64_encoded_is_read(hooked: SyncStack) -> None:
    body = delivery(4242, "IR-00000000", stage_id=7, milestone=2, at=1795000000, event_id=3)
    assert hooked.webhook(body, base64_encoded=True).body == {"status": "accepted"}


def test_the_same_delivery_twice_is_a_duplicate_and_applied_once(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    (update,) = moved_in_opensolar(hooked, project_id, 7)
    assert hooked.webhook(update).body == {"status": "accepted"}
    assert hooked.webhook(update).body == {"status": "duplicate"}
    hooked.process_webhooks()
    assert hooked.request_item(request_id)["status"] == "scheduled"
    audit = list(hooked.ssr.installation_items(hooked.link(request_id)["order_id"], "audit"))
    assert [entry["detail"] for entry in audit if entry["action"] == "status_changed"] == [
        "pending → scheduled from OpenSolar (webhook: stage 7, milestone 2)."
    ]


def test_a_delivery_is_acknowledged_with_at_most_two_aws_calls(hooked: SyncStack) -> None:
    _, project_id = synced_project(hooked)
    (update, *_) = moved_in_opensolar(hooked, project_id, 7)
    hooked.webhook({**update, "event_id": 1})  # the container's first call reads the secret
    hooked.ssr.api_calls.reset()
    assert hooked.webhook(update).body == {"status": "accepted"}
    assert hooked.ssr.api_calls.calls == {"dynamodb.PutItem": 1, "sqs.SendMessage": 1}
    hooked.ssr.api_calls.reset()
    assert hooked.webhook(update).body == {"status": "duplicate"}
    assert sum(hooked.ssr.api_calls.calls.values()) <= 2


def test_contact_and_quote_deliveries_are_stored_and_ignored(hooked: SyncStack) -> None:
    contact = {"timestamp": "1795000000", "model": "Contact", "model_id": 7301, "event": "CREATE", "event_id": 9}
    assert hooked.webhook({**contact, "fields": {"first_name": "John"}}).body == {"status": "ignored"}
    quote = {"timestamp": "1795000000", "model": "Quote", "model_id": 5, "event": "UPDATE", "event_id": 10}
    assert hooked.webhook({**quote, "fields": {}}).body == {"status": "ignored"}
    stored = hooked.webhook_item("Contact:7301:9")
    assert stored["webhook_status"] == "ignored"
    assert "John" in stored["payload"]
    assert hooked.process_webhooks() == 0  # nothing queued for them


# ---------------------------------------------------------------- the processor


def test_a_project_moved_to_contract_signed_makes_the_installation_request_scheduled(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    delivered = moved_in_opensolar(hooked, project_id, 7)
    for body in delivered:
        assert hooked.webhook(body).status == 200
    hooked.process_webhooks()
    link = hooked.link(request_id)
    assert hooked.request_item(request_id)["status"] == "scheduled"
    assert link["installation_status"] == "scheduled"
    assert link["opensolar_stage"] == {"workflow_id": 1, "active_stage_id": 7, "milestone": 2}
    assert link["contract_signed_at"]
    keys = [f"{body['model']}:{body['model_id']}:{body['event_id']}" for body in delivered]
    assert {hooked.webhook_item(key)["webhook_status"] for key in keys} == {"processed"}


def test_a_stage_the_map_names_wins_and_an_unknown_one_falls_back_to_the_milestone(hooked: SyncStack) -> None:
    hooked.configure(stage_map={"8": "in_progress"})
    mapped_request, mapped_project = synced_project(hooked)
    fallback_request, fallback_project = synced_project(hooked)
    for body in moved_in_opensolar(hooked, mapped_project, 8) + moved_in_opensolar(hooked, fallback_project, 9):
        hooked.webhook(body)
    hooked.process_webhooks()
    assert hooked.request_item(mapped_request)["status"] == "in_progress"  # stage 8 is mapped
    assert hooked.request_item(fallback_request)["status"] == "scheduled"  # stage 9: milestone 2


def test_an_older_delivery_never_overwrites_a_newer_state(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    newer = delivery(project_id, request_id, stage_id=10, milestone=3, at=1795000200, event_id=21)
    older = delivery(project_id, request_id, stage_id=7, milestone=2, at=1795000100, event_id=20)
    hooked.webhook(newer)
    hooked.process_webhooks()
    hooked.webhook(older)
    hooked.process_webhooks()
    assert hooked.request_item(request_id)["status"] == "completed"
    assert hooked.link(request_id)["opensolar_stage"]["active_stage_id"] == 10
    assert "older than the one held" in hooked.webhook_item(f"Project:{project_id}:20")["detail"]


def test_a_delivery_for_a_project_we_do_not_know_is_ignored(hooked: SyncStack) -> None:
    answer = hooked.webhook(delivery(999_999, "IR-NOTOURS1", stage_id=7, milestone=2, at=1795000000, event_id=30))
    assert answer.body == {"status": "accepted"}
    hooked.process_webhooks()
    stored = hooked.webhook_item("Project:999999:30")
    assert stored["webhook_status"] == "ignored"
    assert "No installation request of ours" in stored["detail"]


def test_opensolar_never_moves_a_status_back(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    hooked.webhook(delivery(project_id, request_id, stage_id=7, milestone=2, at=1795000300, event_id=40))
    hooked.webhook(delivery(project_id, request_id, stage_id=2, milestone=0, at=1795000400, event_id=41))
    hooked.process_webhooks()
    assert hooked.request_item(request_id)["status"] == "scheduled"
    assert hooked.link(request_id)["opensolar_stage"]["active_stage_id"] == 2  # the stage itself is kept


def test_legacy_named_events_are_applied_and_deduplicated_by_their_body(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    signed = {"event": "project.contract_signed", "project_id": project_id, "data": {"contract_date": "2026-11-20"}}
    proposal = {
        "event": "project.proposal_sent",
        "project_id": project_id,
        "data": {"proposal_url": "https://p.example/1"},
    }
    assert hooked.webhook(proposal).body == {"status": "accepted"}
    assert hooked.webhook(signed).body == {"status": "accepted"}
    assert hooked.webhook(signed).body == {"status": "duplicate"}
    design = {"event": "project.design_complete", "project_id": project_id, "data": {}}
    assert hooked.webhook(design).body == {"status": "ignored"}
    hooked.process_webhooks()
    link = hooked.link(request_id)
    assert hooked.request_item(request_id)["status"] == "scheduled"
    assert link["proposal_url"] == "https://p.example/1"
    assert link["contract_signed_at"].startswith("2026-11-20")


def test_an_unreadable_delivery_is_an_error_counted_in_the_stats(hooked: SyncStack) -> None:
    _, project_id = synced_project(hooked)
    before = errors_since(datetime.now(UTC) - timedelta(hours=24))
    bad = delivery(project_id, "IR-X", stage_id=7, milestone=2, at=1795000000, event_id=50)
    bad["fields"]["workflow"] = "stage seven"
    assert hooked.webhook(bad).status == 200
    hooked.process_webhooks()
    stored = hooked.webhook_item(f"Project:{project_id}:50")
    assert stored["webhook_status"] == "error"
    assert "cannot be read" in stored["error"]
    assert errors_since(datetime.now(UTC) - timedelta(hours=24)) == before + 1


def test_the_processor_failing_retries_then_parks_the_delivery_which_stays_listed(hooked: SyncStack) -> None:
    request_id, project_id = synced_project(hooked)
    hooked.webhook(delivery(project_id, request_id, stage_id=7, milestone=2, at=1795000000, event_id=60))
    # when DynamoDB throttles every transaction while the queue delivers the message again and again
    with dynamodb_throttling("TransactWriteItems", times=10_000):
        delivered = hooked.process_webhooks(failures_come_back=True)
    # then it was tried five times (WebhookQueue's maxReceiveCount), then parked in the DLQ
    assert delivered == 5
    assert hooked.in_queue(hooked.webhook_dlq_url) == 1
    assert hooked.webhook_item(f"Project:{project_id}:60")["webhook_status"] == "received"  # not lost: listed
    assert hooked.request_item(request_id)["status"] == "pending"


def test_two_hundred_deliveries_with_duplicates_shuffled_are_each_applied_once_to_the_newest_state(
    hooked: SyncStack,
) -> None:
    # given five synced projects, and 140 distinct deliveries moving each through the stages over time
    projects = [synced_project(hooked) for _ in range(5)]
    plan = [(1, 0), (2, 0), (5, 0), (6, 1), (7, 2), (8, 2), (9, 2), (10, 3)]
    unique: list[dict[str, Any]] = []
    event_id = 1000
    for request_id, project_id in projects:
        for step in range(28):
            stage_id, milestone = plan[step * len(plan) // 28]
            event_id += 1
            unique.append(
                delivery(
                    project_id,
                    request_id,
                    stage_id=stage_id,
                    milestone=milestone,
                    at=1795100000 + step,
                    event_id=event_id,
                )
            )
    # and 60 of them delivered twice, all in a shuffled order
    repeated = random.Random(7).sample(unique, 60)  # noqa: S311 - test data, not a secret
    shuffled = unique + repeated
    random.Random(11).shuffle(shuffled)  # noqa: S311 - test data, not a secret
    # when they arrive and are processed
    receipts = Counter(hooked.webhook(body).body["status"] for body in shuffled)
    hooked.process_webhooks()
    # then each distinct delivery was accepted once and processed once; the repeats were duplicates
    assert receipts == {"accepted": 140, "duplicate": 60}
    keys = [f"Project:{body['model_id']}:{body['event_id']}" for body in unique]
    assert Counter(hooked.webhook_item(key)["webhook_status"] for key in keys) == {"processed": 140}
    # and every project ends in its newest state: installed, completed
    for request_id, _ in projects:
        assert hooked.link(request_id)["opensolar_stage"]["active_stage_id"] == 10
        assert hooked.request_item(request_id)["status"] == "completed"


def test_the_sample_events_reach_the_receiver_and_the_processor(hooked: SyncStack) -> None:
    # given events/ samples: the receiver's API Gateway event and the processor's SQS event (AWS's sample shape)
    receiver_event = json.loads((EVENTS / "webhook_receiver_project_update.json").read_text())
    receiver_event["headers"]["x-opensolar-secret"] = WEBHOOK_SECRET
    processor_event = json.loads((EVENTS / "webhook_processor_delivery.json").read_text())
    processor_event["Records"][0]["eventSourceARN"] = hooked.webhook_queue_arn
    # when each is invoked
    answer = invoke("webhook_receiver", receiver_event)
    result = invoke("webhook_processor", processor_event)
    # then the delivery is accepted, and processed: project 4242 is not one of ours here, so it is ignored
    assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"status": "accepted"})
    assert result == {"batchItemFailures": []}
    assert hooked.webhook_item("Project:4242:987654")["webhook_status"] == "ignored"
