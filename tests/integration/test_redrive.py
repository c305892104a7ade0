"""`make redrive QUEUE=…` (local/tools/redrive.py): a DLQ's messages go back to their source queue and succeed once the
cause is gone; one that still cannot succeed is parked again, with its reason; the stream's DLQ is listed with the
way forward. On moto (no message-move task), through the same command the local stack runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.__main__ import main
from local.tools import redrive
from tests.support.opensolar_stack import TEMPLATE, SyncStack

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def state_file(tmp_path: Path, stack: SyncStack) -> Path:
    """A stack.json naming the test stack's queues (in-process moto: no endpoint URL)."""
    path = tmp_path / "stack.json"
    resources = {
        "SyncQueue": stack.queue_url,
        "SyncDLQ": stack.dlq_url,
        "WebhookQueue": stack.webhook_queue_url,
        "WebhookDLQ": stack.webhook_dlq_url,
        "OrderStreamDLQ": stack.ssr.stream_dlq_url,
    }
    path.write_text(json.dumps({"aws_endpoint_url": None, "region": "us-east-1", "resources": resources}))
    return path


def fail_every_receive(stack: SyncStack) -> None:
    """What Lambda does for a consumer that keeps failing: receive, let the visibility lapse, until SQS's
    RedrivePolicy moves the message to the DLQ (moto moves it on the receive after the last allowed one)."""
    allowed = TEMPLATE["Resources"]["SyncQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    for _ in range(allowed):
        assert stack.sqs.receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0).get("Messages")
    assert stack.sqs.receive_message(QueueUrl=stack.queue_url).get("Messages") is None


def test_a_sync_message_that_used_up_its_receives_succeeds_after_make_redrive(
    fresh: SyncStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a queued sync whose consumer failed on every receive (OpenSolar's credentials were wrong, say)
    request_id = fresh.installation_request()
    fail_every_receive(fresh)
    assert (fresh.in_queue(), fresh.in_dlq()) == (0, 1)
    # when the cause is fixed and an operator redrives the SyncDLQ
    assert main(["redrive", "SyncDLQ", "--state-file", str(state_file(tmp_path, fresh))]) == 0
    # then the message is back on SyncQueue, and the sync creates the project once
    assert "SyncDLQ → SyncQueue: 1 message(s) moved back." in capsys.readouterr().out
    assert (fresh.in_queue(), fresh.in_dlq()) == (1, 0)
    assert fresh.deliver() == {"batchItemFailures": []}
    assert fresh.link(request_id)["sync_status"] == "synced"
    assert len(fresh.projects_named(request_id)) == 1
    assert fresh.in_queue() == 0


def test_a_parked_message_that_still_cannot_succeed_is_parked_again_with_a_fresh_reason(fresh: SyncStack) -> None:
    # given a sync request for an installation request nobody knows, parked by the consumer
    fresh.send({"installation_request_id": "IR-NOSUCH01", "reason": "created"})
    fresh.deliver()
    (first,) = fresh.parked()
    # when it is redriven without a fix
    moved = redrive.move_messages(fresh.sqs, fresh.dlq_url, fresh.queue_url)
    assert (moved.moved, moved.reasons) == (1, {first["reason"]: 1})
    assert fresh.parked() == []
    fresh.deliver()
    # then it is parked once more, as it came, and nothing loops
    (again,) = fresh.parked()
    assert again == first
    assert fresh.in_queue() == 0


def test_the_order_stream_dlq_is_listed_with_the_way_forward_not_moved(
    fresh: SyncStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a stream record parked for having no order key
    from tests.support.ssr_stack import EVENTS, invoke

    event = json.loads((EVENTS / "aws" / "dynamodb_update.json").read_text())
    event["Records"] = event["Records"][:1]
    invoke("order_paid_handler", event)
    # when an operator redrives the OrderStreamDLQ
    assert main(["redrive", "OrderStreamDLQ", "--state-file", str(state_file(tmp_path, fresh))]) == 0
    # then it is listed with its reason and the way forward, and stays where it is
    out = capsys.readouterr().out
    assert "OrderStreamDLQ: 1 message(s)" in out
    assert "no order key" in out
    assert "POST /orders/{id}/automation/rerun" in out
    assert len(fresh.parked(fresh.ssr.stream_dlq_url)) == 1
    fresh.sqs.purge_queue(QueueUrl=fresh.ssr.stream_dlq_url)


def test_a_queue_is_named_by_its_dlq_or_its_source_and_anything_else_is_refused() -> None:
    assert redrive.resolve("SyncQueue") == redrive.resolve("SyncDLQ") == redrive.DeadLetterQueue("SyncDLQ", "SyncQueue")
    assert redrive.resolve("WebhookDLQ").source_id == "WebhookQueue"
    assert redrive.resolve("OrderStreamDLQ").source_id is None
    with pytest.raises(ValueError, match="not a dead-letter queue"):
        redrive.resolve("StaffNotificationsTopic")
