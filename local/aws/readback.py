"""What a running local stack sent and ran, read back from its moto: emails, staff notices, workflow executions.

SES and SNS keep what was sent only in moto's model data (`/moto-api/data.json`, local-stack-notes.md §5); the
Step Functions executions and their histories come from the ordinary API. Used by `make demo` and the e2e tests.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|li|h\d|ul)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_NAME_SAFE_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,20}")


def moto_data(endpoint_url: str, timeout_s: float = 30) -> dict[str, Any]:
    """moto's model data: every backend's objects as JSON (slow once the tables are large: `timeout_s`)."""
    answer = requests.get(f"{endpoint_url}/moto-api/data.json", timeout=timeout_s)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def sent_emails(endpoint_url: str, subject: str) -> list[dict[str, Any]]:
    """The SES messages sent with exactly this subject: `{source, destinations, subject, body}`."""
    messages = moto_data(endpoint_url)["ses"].get("Message", [])
    return [message for message in messages if message["subject"] == subject]


def email_text(body: str) -> list[str]:
    """An email body (HTML or text) as its non-empty text lines."""
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", body.replace("<li>", "<li>- "))))
    return [line.strip() for line in text.splitlines() if line.strip()]


def staff_notices(endpoint_url: str, topic_arn: str, order_id: str) -> list[dict[str, Any]]:
    """The SNS messages published to the topic whose text names the order: `{subject, message, attributes}`.

    Attributes are as moto stores them: `{"branch": {"Type": "String", "Value": "harare"}}`.
    """
    names_the_order = re.compile(rf"(?<![\w-]){re.escape(order_id)}(?![\w-])")
    topics = moto_data(endpoint_url)["sns"].get("Topic", [])
    sent = next((topic["sent_notifications"] for topic in topics if topic["arn"] == topic_arn), [])
    return [
        {"subject": subject, "message": message, "attributes": attributes or {}}
        for _, message, subject, attributes, _ in sent
        if names_the_order.search(message)
    ]


def executions_for_order(sfn: Any, state_machine_arn: str, order_id: str) -> list[dict[str, Any]]:
    """The state machine's executions started for the order (named after it, input `{"order_id": …}`)."""
    # Execution names start with the order id's name-safe characters; only those candidates are described.
    prefix = _NAME_SAFE_PREFIX.match(order_id).group()  # type: ignore[union-attr]
    found: list[dict[str, Any]] = []
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    for execution in (execution for page in pages for execution in page["executions"]):
        if not execution["name"].startswith(prefix):
            continue
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if json.loads(described.get("input") or "{}").get("order_id") == order_id:
            found.append(described)
    return found


@dataclass(frozen=True)
class StateVisit:
    """One state of an execution: when it was entered and exited (ms after the start) and how deeply nested."""

    name: str
    state_type: str
    depth: int
    entered_ms: int
    exited_ms: int | None

    @property
    def took_ms(self) -> int | None:
        return None if self.exited_ms is None else self.exited_ms - self.entered_ms


def state_visits(sfn: Any, execution_arn: str) -> list[StateVisit]:
    """The execution's states in the order they were entered; states inside a Parallel are one level deeper."""
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    started: datetime = events[0]["timestamp"]
    visits: list[dict[str, Any]] = []
    open_parallels: list[str] = []

    def at(event: dict[str, Any]) -> int:
        return round((event["timestamp"] - started).total_seconds() * 1000)

    for event in events:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            state_type = kind.removesuffix("StateEntered")
            visits.append(
                {"name": name, "state_type": state_type, "depth": len(open_parallels), "entered_ms": at(event)}
            )
            if state_type in ("Parallel", "Map"):
                open_parallels.append(name)
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            if open_parallels and open_parallels[-1] == name:
                open_parallels.pop()
            visit = next(v for v in reversed(visits) if v["name"] == name and "exited_ms" not in v)
            visit["exited_ms"] = at(event)
    return [StateVisit(**{"exited_ms": None, **visit}) for visit in visits]
