"""SyncQueue messages: what asks `opensolar_sync` to create or update an installation request's OpenSolar project."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from solar_core.aws_clients import client
from solar_core.aws_errors import upstream_error
from solar_core.settings import get_settings

_BATCH = 10  # SendMessageBatch's limit


class SyncReason(StrEnum):
    """Why a sync was asked for. Only `created` (the paid-order automation) obeys `auto_sync_enabled`: the others
    come from staff (`manual`, `bulk`), repeat a sync already decided (`retry`), or carry a status staff set to the
    project's workflow stage (`push`, by `status_map`)."""

    CREATED = "created"
    MANUAL = "manual"
    BULK = "bulk"
    RETRY = "retry"
    PUSH = "push"


class SyncRequest(BaseModel):
    """The message body. Unknown keys are ignored so that older and newer senders can share the queue."""

    model_config = ConfigDict(extra="ignore")

    installation_request_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    ssr_id: str | None = Field(default=None, max_length=64)
    order_id: str | None = Field(default=None, max_length=128)
    reason: SyncReason = SyncReason.CREATED
    force: bool = False

    @property
    def automatic(self) -> bool:
        return self.reason is SyncReason.CREATED


def send(request: SyncRequest, sqs: Any | None = None) -> str:
    """Queues one request; its message id."""
    try:
        answer = (sqs or client("sqs")).send_message(
            QueueUrl=get_settings().sync_queue_url, MessageBody=request.model_dump_json(exclude_none=True)
        )
    except (ClientError, BotoCoreError) as exc:
        raise upstream_error(exc, "SQS") from exc
    return str(answer.get("MessageId", ""))


def send_many(requests: Sequence[SyncRequest], sqs: Any | None = None) -> list[str]:
    """Queues the requests, ten per call; the installation request ids SQS did not take."""
    queue = sqs or client("sqs")
    refused: list[str] = []
    for start in range(0, len(requests), _BATCH):
        chunk = requests[start : start + _BATCH]
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(request.model_dump(mode="json", exclude_none=True))}
            for n, request in enumerate(chunk)
        ]
        try:
            answer = queue.send_message_batch(QueueUrl=get_settings().sync_queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as exc:
            raise upstream_error(exc, "SQS") from exc
        refused += [chunk[int(failure["Id"])].installation_request_id for failure in answer.get("Failed", [])]
    return refused
