"""`make redrive QUEUE=<logical id>`: move a dead-letter queue's messages back to the queue they came from.

On AWS it is SQS's own redrive (`aws sqs start-message-move-task --source-arn <DLQ ARN>`: SQS moves every message
back to its source queue, paced); moto has no message-move task, so in the local stack the same move is made here
with receive → send → delete, the body and the message's own attributes kept, the reason a consumer parked it with
dropped (it is parked again, with a fresh reason, if it still cannot succeed).

The consumers are idempotent (a sync leases its link, a webhook delivery is deduplicated by its event key), so a
message that is sent back and, after a crash, not yet deleted from the DLQ is harmless when moved twice.

The OrderStreamDLQ has no queue to go back to (its source is the Orders stream): its messages are listed with the
way forward, which is to fix the order and `POST /orders/{id}/automation/rerun`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.aws.template import load_template, resources_of_type
from local.state_file import read_state

PARKED_ATTRIBUTES = ("parked_reason", "parked_from")  # solar_core/adapters/poison.py
_BATCH = 10


@dataclass(frozen=True)
class DeadLetterQueue:
    logical_id: str
    source_id: str | None  # the queue whose RedrivePolicy targets it; None for a stream's on-failure queue


@dataclass
class Moved:
    moved: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def dead_letter_queues(template: dict[str, Any] | None = None) -> dict[str, DeadLetterQueue]:
    """Every DLQ of the template, by logical id, with its source queue (from the template: one source of truth)."""
    resources = template or load_template()
    found: dict[str, DeadLetterQueue] = {}
    for logical_id, queue in resources_of_type(resources, "AWS::SQS::Queue").items():
        policy = queue["Properties"].get("RedrivePolicy")
        if policy:
            target = policy["deadLetterTargetArn"]["Fn::GetAtt"][0]
            found[target] = DeadLetterQueue(target, logical_id)
    for function in resources_of_type(resources, "AWS::Serverless::Function").values():
        for event in function["Properties"].get("Events", {}).values():
            destination = event["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if destination:
                target = destination["Fn::GetAtt"][0]
                found[target] = DeadLetterQueue(target, None)
    return found


def resolve(name: str, template: dict[str, Any] | None = None) -> DeadLetterQueue:
    """The DLQ named by its own logical id or by its source queue's (`SyncDLQ` or `SyncQueue`)."""
    queues = dead_letter_queues(template)
    if name in queues:
        return queues[name]
    for queue in queues.values():
        if queue.source_id == name:
            return queue
    raise ValueError(f"{name} is not a dead-letter queue of template.yaml, nor a queue with one: {sorted(queues)}")


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    """The message's own attributes as SendMessage takes them, without the parking reason."""
    kept = {}
    for name, value in message.get("MessageAttributes", {}).items():
        if name in PARKED_ATTRIBUTES:
            continue
        kept[name] = {key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value}
    return kept


def move_messages(sqs: Any, dead_letter_url: str, source_url: str) -> Moved:
    """Moves every message from the DLQ back to the source queue (send, then delete); the count and the reasons."""
    result = Moved()
    while True:
        messages = sqs.receive_message(
            QueueUrl=dead_letter_url,
            MaxNumberOfMessages=_BATCH,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return result
        for message in messages:
            reason = message.get("MessageAttributes", {}).get("parked_reason", {}).get("StringValue", "retries used up")
            sqs.send_message(QueueUrl=source_url, MessageBody=message["Body"], MessageAttributes=_attributes(message))
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"])
            result.moved += 1
            result.reasons[reason] = result.reasons.get(reason, 0) + 1


def stream_failures(sqs: Any, dead_letter_url: str) -> list[str]:
    """One line per message of a stream's DLQ (left in place): the order it names and why it is there."""
    lines = []
    messages: dict[str, dict[str, Any]] = {}
    while True:
        batch = sqs.receive_message(
            QueueUrl=dead_letter_url, MaxNumberOfMessages=_BATCH, VisibilityTimeout=30, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            break
        messages |= {message["MessageId"]: message for message in batch}
    for message in messages.values():
        sqs.change_message_visibility(
            QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
        body = json.loads(message["Body"])
        reason = message.get("MessageAttributes", {}).get("parked_reason", {}).get("StringValue")
        if reason:
            keys = body.get("dynamodb", {}).get("Keys", {})
            lines.append(f"parked record {body.get('eventID')} (keys {json.dumps(keys)}): {reason}")
        else:
            info = body.get("DDBStreamBatchInfo", {})
            lines.append(
                f"retries used up for stream records {info.get('startSequenceNumber')}…{info.get('endSequenceNumber')}"
                f" of shard {info.get('shardId')}: {body.get('requestContext', {}).get('condition')}"
            )
    return lines


def _report_stream(sqs: Any, url: str, queue: DeadLetterQueue) -> int:
    lines = stream_failures(sqs, url)
    print(f"{queue.logical_id}: {len(lines)} message(s); a stream's records cannot be sent back to it.")
    for line in lines:
        print(f"  {line}")
    print("Way forward: fix the order (or the catalog), then POST /orders/{id}/automation/rerun.")
    return 0


def run_local(name: str, state_file: Path) -> int:
    """Redrive in the running local stack (its moto server)."""
    queue = resolve(name)
    state = read_state(state_file)
    sqs = boto3.client("sqs", endpoint_url=state["aws_endpoint_url"], region_name=state.get("region", "us-east-1"))
    dead_letter_url = state["resources"][queue.logical_id]
    if queue.source_id is None:
        return _report_stream(sqs, dead_letter_url, queue)
    result = move_messages(sqs, dead_letter_url, state["resources"][queue.source_id])
    print(f"{queue.logical_id} → {queue.source_id}: {result.moved} message(s) moved back.")
    for reason, count in sorted(result.reasons.items()):
        print(f"  {count} x {reason}")
    return 0


def run_aws(name: str, stack_name: str, region: str | None) -> int:
    """Redrive on AWS: SQS's message-move task, the DLQ found in the CloudFormation stack."""
    queue = resolve(name)
    cloudformation = boto3.client("cloudformation", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    resource = cloudformation.describe_stack_resource(StackName=stack_name, LogicalResourceId=queue.logical_id)
    url = resource["StackResourceDetail"]["PhysicalResourceId"]
    if queue.source_id is None:
        return _report_stream(sqs, url, queue)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    task = sqs.start_message_move_task(SourceArn=arn)
    print(f"{queue.logical_id} → {queue.source_id}: message-move task {task['TaskHandle']} started.")
    print(f"  progress: aws sqs list-message-move-tasks --source-arn {arn}")
    return 0
