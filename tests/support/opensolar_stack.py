"""The OpenSolar sync on the in-process stack: the SSR stack's tables and records, the template's SyncQueue and
SyncDLQ (redrive included), the OpenSolar secret, and a fake OpenSolar served on localhost.

Messages reach `opensolar_sync` as Lambda's SQS mapping delivers them: `deliver()` receives one batch and deletes
what the handler did not report failed; `drain()` runs the local stack's own QueuePoller (two workers, the template's
batch size) until the queue is empty.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import pytest

from local.aws.template import load_template
from local.event_sources.mappings import EventFilter, EventSourceSpec
from local.event_sources.queue_poller import QueuePoller, lambda_record
from local.opensolar_fake import FakeOpenSolar
from solar_core.opensolar.config import IntegrationConfig, save_config
from solar_core.opensolar.inbound.catchup import WATERMARK_KEY
from solar_core.opensolar.inbound.registration import REGISTRATION_KEY
from solar_core.opensolar.outbound.pacing import PACER_KEY
from solar_core.opensolar.tables import STATS_KEY, link_pk
from tests.support.aws import parked_messages
from tests.support.http_events import Answer, http_event
from tests.support.ssr_stack import (
    REGION,
    SsrStack,
    invoke,
    new_order_id,
    put_order,
    reset_cached_clients,
    seed_catalog,
    ssr_stack,
    step,
)

ORG_ID = 1001
USERNAME = "api-user@installer.example"
PASSWORD = "correct-horse-battery"  # noqa: S105 - a test fixture, not a secret
WEBHOOK_SECRET = "s3cr3t-hook"  # noqa: S105 - a test fixture, not a secret
PUBLIC_API_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/dev"
# OpenSolar allows 10 writes a minute; here a window of 2 s keeps the same shape and the tests quick.
WRITE_LIMIT = 10
WINDOW_S = 2.0
TEMPLATE = load_template()
SYNC_EVENT = TEMPLATE["Resources"]["OpenSolarSyncFunction"]["Properties"]["Events"]["FromSyncQueue"]["Properties"]


def project_delivery(
    project_id: int, request_id: str, *, stage_id: int, milestone: int, at: int, event_id: int
) -> dict[str, Any]:
    """A Project UPDATE as OpenSolar delivers it (opensolar-api.md's example body): the project at a stage."""
    return {
        "timestamp": str(at),
        "model": "Project",
        "model_id": project_id,
        "identifier": request_id,
        "event": "UPDATE",
        "event_id": event_id,
        "fields": {
            "id": project_id,
            "identifier": request_id,
            "stage": milestone,
            "workflow": {"workflow_id": 1, "active_stage_id": stage_id},
        },
    }


def _queue(sqs: Any, name: str, logical_id: str, **extra: str) -> str:
    props = TEMPLATE["Resources"][logical_id]["Properties"]
    attributes = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30)), **extra}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@dataclass
class SyncStack:
    ssr: SsrStack
    fake: FakeOpenSolar
    secret_arn: str
    sqs: Any = field(repr=False)
    queue_url: str = ""
    queue_arn: str = ""
    dlq_url: str = ""
    webhook_queue_url: str = ""
    webhook_queue_arn: str = ""
    webhook_dlq_url: str = ""
    window_s: float = WINDOW_S

    def new_queues(self) -> None:
        """A new SyncQueue and SyncDLQ as the template declares them (redrive included), and SYNC_QUEUE_URL set."""
        suffix = uuid.uuid4().hex[:8]
        self.dlq_url = _queue(self.sqs, f"SyncDLQ-{suffix}", "SyncDLQ")
        dlq_arn = self._arn(self.dlq_url)
        receives = TEMPLATE["Resources"]["SyncQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(receives)})
        self.queue_url = _queue(self.sqs, f"SyncQueue-{suffix}", "SyncQueue", RedrivePolicy=redrive)
        self.queue_arn = self._arn(self.queue_url)
        self.webhook_dlq_url = _queue(self.sqs, f"WebhookDLQ-{suffix}", "WebhookDLQ")
        receives = TEMPLATE["Resources"]["WebhookQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        redrive = json.dumps({"deadLetterTargetArn": self._arn(self.webhook_dlq_url), "maxReceiveCount": str(receives)})
        self.webhook_queue_url = _queue(self.sqs, f"WebhookQueue-{suffix}", "WebhookQueue", RedrivePolicy=redrive)
        self.webhook_queue_arn = self._arn(self.webhook_queue_url)
        os.environ["SYNC_QUEUE_URL"] = self.queue_url
        os.environ["WEBHOOK_QUEUE_URL"] = self.webhook_queue_url
        os.environ["SYNC_DLQ_URL"] = self.dlq_url
        os.environ["WEBHOOK_DLQ_URL"] = self.webhook_dlq_url
        reset_cached_clients()

    def _arn(self, url: str) -> str:
        return str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    # ------------------------------------------------------------ set-up
    def configure(self, **changes: Any) -> IntegrationConfig:
        """The integration pointed at the fake, quick to time out and to retry, its write pacing matching the fake's
        shortened window; `changes` on top."""
        settings = {
            "base_url": self.fake.base_url,
            "org_id": ORG_ID,
            "api_timeout_s": 1.0,
            "write_limit": WRITE_LIMIT,
            "write_window_s": self.window_s,
            "retry_backoff_s": 0.0,
            "throttle_backoff_s": 1.0,
        } | changes
        return save_config(IntegrationConfig.model_validate(settings), updated_by="test")

    def installation_request(self, *, queue: bool = True, **order_fields: Any) -> str:
        """A paid order's records made by the workflow's own steps (its sync queued when `queue`); the IR id."""
        order_id = new_order_id()
        put_order(order_id, **order_fields)
        created = step("create_records", order_id)
        if queue:
            assert step("queue_sync", order_id, **created)["sync"] == "queued"
        return str(created["installation_request_id"])

    def send(self, body: Any) -> None:
        """Puts a raw message on SyncQueue (a string as is, anything else as JSON)."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=text)

    # ------------------------------------------------------------ the event source mapping
    def deliver(self, *, wait_s: float = 0.0) -> dict[str, Any] | None:
        """One batch (the template's batch size) to the handler, as Lambda would; None when nothing was visible."""
        deadline = time.monotonic() + wait_s
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=int(SYNC_EVENT["BatchSize"]), AttributeNames=["All"]
            ).get("Messages", [])
            if messages or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if not messages:
            return None
        records = [lambda_record(message, self.queue_arn, REGION) for message in messages]
        result = invoke("opensolar_sync", {"Records": records})
        failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
        for record in records:
            if record["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
        return dict(result)

    def drain(self, timeout_s: float = 60.0) -> None:
        """Runs the local stack's SQS poller over SyncQueue until no message is left (visible or in flight)."""
        spec = EventSourceSpec(
            logical_id="FromSyncQueue",
            function="OpenSolarSyncFunction",
            source_arn=self.queue_arn,
            batch_size=int(SYNC_EVENT["BatchSize"]),
            batching_window_s=0.0,
            starting_position="TRIM_HORIZON",
            event_filter=EventFilter(None),
            report_batch_item_failures=True,
            maximum_retry_attempts=-1,
            bisect_on_error=False,
            on_failure_arn=None,
            maximum_concurrency=int(SYNC_EVENT["ScalingConfig"]["MaximumConcurrency"]),
        )
        poller = QueuePoller(
            spec, lambda _function, event: invoke("opensolar_sync", event), self.sqs, REGION, interval_s=0.05
        )
        poller.start()
        try:
            deadline = time.monotonic() + timeout_s
            while self.in_queue() > 0:
                assert time.monotonic() < deadline, f"SyncQueue still holds {self.in_queue()} message(s)"
                time.sleep(0.2)
        finally:
            poller.stop()

    # ------------------------------------------------------------ webhooks in
    def webhook(
        self,
        body: Any,
        *,
        secret: str | None = WEBHOOK_SECRET,
        headers: dict[str, str] | None = None,
        base64_encoded: bool = False,
    ) -> Answer:
        """POST /opensolar/webhook/ as API Gateway hands it to the receiver (no authorizer); a string body as is."""
        text = body if isinstance(body, str) else json.dumps(body)
        event = http_event("POST", "/opensolar/webhook/", raw_body=text, groups=None)
        event["requestContext"].pop("authorizer", None)
        event["headers"].pop("authorization", None)
        if base64_encoded:
            event["body"], event["isBase64Encoded"] = base64.b64encode(text.encode()).decode(), True
        if secret is not None:
            event["headers"]["x-opensolar-secret"] = secret
        event["headers"].update(headers or {})
        response = invoke("webhook_receiver", event)  # AWS calls made meanwhile count as the receiver's
        body = response.get("body")
        return Answer(int(response["statusCode"]), json.loads(body) if body else None, response["headers"])

    def process_webhooks(self, *, failures_come_back: bool = False, rounds: int = 100) -> int:
        """Delivers WebhookQueue to the processor, batch by batch, as Lambda's mapping would; the count delivered.

        A failed message stays invisible for the queue's visibility timeout, and this returns; with
        `failures_come_back` it is made visible at once (time passing) and delivered again, until the queue is empty.
        """
        delivered = 0
        for _ in range(rounds):
            messages = self.sqs.receive_message(
                QueueUrl=self.webhook_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                break
            records = [lambda_record(message, self.webhook_queue_arn, REGION) for message in messages]
            result = invoke("webhook_processor", {"Records": records})
            failed = {failure["itemIdentifier"] for failure in result["batchItemFailures"]}
            delivered += len(records)
            for record in records:
                if record["messageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=self.webhook_queue_url, ReceiptHandle=record["receiptHandle"])
                elif failures_come_back:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.webhook_queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                    )
            if failed and not failures_come_back:
                break
        return delivered

    def deliveries_for(self, project_id: int) -> list[dict[str, Any]]:
        """The bodies the fake OpenSolar made for a project's changes (as it would deliver them), oldest first."""
        bodies = [delivery["body"] for delivery in self.fake.deliveries()]
        return [
            body
            for body in bodies
            if body.get("model_id") == project_id or body.get("fields", {}).get("project_id") == project_id
        ]

    def request_item(self, request_id: str) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.ssr.tables["InstallationsTable"])
        ssr_id = "ISR-" + request_id.removeprefix("IR-")
        return dict(table.get_item(Key={"pk": f"SSR#{ssr_id}", "sk": f"IR#{request_id}"}, ConsistentRead=True)["Item"])

    def webhook_item(self, event_key: str) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.ssr.tables["IntegrationTable"])
        return dict(table.get_item(Key={"pk": f"WEBHOOK#{event_key}", "sk": "DELIVERY"}).get("Item") or {})

    def in_queue(self, url: str | None = None) -> int:
        # Delayed ones too: a message asked to wait comes back as a fresh copy sent with a delay.
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url or self.queue_url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    def in_dlq(self) -> int:
        return self.in_queue(self.dlq_url)

    def parked(self, url: str | None = None) -> list[dict[str, Any]]:
        """The DLQ's messages (SyncDLQ unless `url`) as `{body, reason, source}`, left in place."""
        return parked_messages(self.sqs, url or self.dlq_url)

    # ------------------------------------------------------------ what happened
    def link(self, installation_request_id: str) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.ssr.tables["IntegrationTable"])
        item = table.get_item(Key={"pk": link_pk(installation_request_id), "sk": "LINK"}, ConsistentRead=True)
        return dict(item.get("Item") or {})

    def sync_logs(self, installation_request_id: str) -> list[dict[str, Any]]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.ssr.tables["IntegrationTable"])
        found = table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={":pk": link_pk(installation_request_id), ":log": "LOG#"},
            ConsistentRead=True,
        )
        return list(found["Items"])

    def counters(self) -> dict[str, int]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.ssr.tables["IntegrationTable"])
        item = table.get_item(Key={"pk": STATS_KEY[0], "sk": STATS_KEY[1]}, ConsistentRead=True).get("Item", {})
        return {name: int(value) for name, value in item.items() if name not in ("pk", "sk")}

    def projects_named(self, installation_request_id: str) -> list[dict[str, Any]]:
        """The fake's projects whose identifier is this installation request's id."""
        return [project for project in self.fake.projects() if project["identifier"] == installation_request_id]


@contextmanager
def sync_stack(window_s: float = WINDOW_S) -> Iterator[SyncStack]:
    """The stack; OpenSolar's write window (and the pacer's) is `window_s` long: 60 s is the real API's."""
    fake = FakeOpenSolar(
        org_id=ORG_ID, username=USERNAME, password=PASSWORD, write_limit_per_minute=WRITE_LIMIT, rate_window_s=window_s
    )
    fake.start(host="127.0.0.1", port=0)
    try:
        with ssr_stack(workflow=False) as ssr:
            seed_catalog()
            sqs = boto3.client("sqs", region_name=REGION)
            secret = {"username": USERNAME, "password": PASSWORD, "webhook_secret": WEBHOOK_SECRET}
            secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
                Name="solar-backbone/test/opensolar", SecretString=json.dumps(secret)
            )["ARN"]
            public_url = "/solar-backbone/test/public-api-url"
            boto3.client("ssm", region_name=REGION).put_parameter(Name=public_url, Value=PUBLIC_API_URL, Type="String")
            environment = {"OPENSOLAR_SECRET_ARN": secret_arn, "PUBLIC_API_URL_PARAMETER": public_url}
            with mock.patch.dict(os.environ, environment):
                stack = SyncStack(ssr, fake, secret_arn, sqs, window_s=window_s)
                stack.new_queues()
                stack.configure()
                yield stack
            reset_cached_clients()
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def opensolar() -> Iterator[SyncStack]:
    """One stack and fake per test module."""
    with sync_stack() as stack:
        yield stack


@pytest.fixture
def fresh(opensolar: SyncStack) -> SyncStack:
    """Each test starts with a fresh fake org (faults and limits cleared, tokens kept), new empty queues, a free
    write pacer, no webhook registration, no catch-up watermark, and the default config pointed at the fake."""
    opensolar.fake.reset()
    opensolar.new_queues()
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for key in (PACER_KEY, REGISTRATION_KEY, WATERMARK_KEY):  # the write pacer, the webhook registration, the catch-up
        dynamodb.delete_item(TableName=opensolar.ssr.tables["IntegrationTable"], Key=key)
    opensolar.configure()
    return opensolar
