"""How the soak reaches the stack it runs on: the API as staff, the fake OpenSolar's control routes, moto, and what
SES and SNS really sent."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import requests

from local.aws.moto_server import FAKE_CREDENTIALS
from local.aws.template import ROOT

WORKERS = 4
RETRIED_STATUSES = (500, 502, 503, 504)  # what a client retries: the API's integration failed, or asked it to
RETRIES = 5


class SoakError(RuntimeError):
    """The run could not reach a state it waits for in time (the report says how far it got)."""


class StackClient:
    """One fresh stack (`state`: its stack.json), as the soak reads and drives it."""

    def __init__(self, state: dict[str, Any], state_file: Path) -> None:
        self.state = state
        self.state_file = state_file
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {state['staff_token']}"
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=WORKERS * 2)
        self.session.mount("http://", adapter)
        self.retried: Counter[int] = Counter()  # API answers retried, by status

    def api(self, method: str, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> Any:
        """One request as the CRM or an operator makes it: retried (every route the soak uses is idempotent) when the
        answer is a 5xx, as it is when a function dies under AWS faults."""
        for attempt in range(RETRIES + 1):
            answer = self.session.request(method, self.state["api_url"] + path, json=body, timeout=60)
            if answer.status_code not in RETRIED_STATUSES or attempt == RETRIES:
                break
            self.retried[answer.status_code] += 1
            time.sleep(0.2 * 2**attempt)
        if answer.status_code not in tuple(expect):
            raise SoakError(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None

    def fake(self, route: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.state['opensolar_url']}/_control/{route}"
        answer = requests.post(url, json=body, timeout=30) if body is not None else requests.get(url, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.state["aws_endpoint_url"],
            region_name=self.state["region"],
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    @staticmethod
    def wait(what: str, done: Callable[[], bool], timeout_s: float, every_s: float = 1.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise SoakError(f"timed out after {timeout_s:.0f} s waiting until {what}")
            time.sleep(every_s)

    def projects(self, **query: str) -> list[dict[str, Any]]:
        """Every project of the projects API, page by page."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params = {"limit": "100", **query, **({"next_token": token} if token else {})}
            page = self.api("GET", "/opensolar/projects/?" + urlencode(params))
            items += page["items"]
            token = page.get("next_token")
            if not token:
                return items

    def items(self, kind: str) -> list[dict[str, Any]]:
        """The Installations table's items of one kind (one scan)."""
        paginator = self.aws("dynamodb").get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.state["resources"]["InstallationsTable"],
            FilterExpression="#kind = :kind",
            ExpressionAttributeNames={"#kind": "kind"},
            ExpressionAttributeValues={":kind": {"S": kind}},
        )
        return [item for page in pages for item in page["Items"]]

    def count_items(self, kind: str, action: str) -> int:
        return sum(1 for item in self.items(kind) if item.get("action", {}).get("S") == action)

    def automation_states(self) -> dict[str, str]:
        """Each order's automation state, from the Installations table."""
        return {item["order_id"]["S"]: item["state"]["S"] for item in self.items("automation")}

    def aws_faults(self) -> dict[str, Any]:
        """The AWS faults the stack injected so far (nothing when it injects none)."""
        if not self.state.get("aws_faults_file"):
            return {}
        faults: dict[str, Any] = self.sent("aws-faults")
        return faults

    def queue_depth(self, url: str) -> int:
        # Delayed ones too: a message asked to wait comes back as a fresh copy sent with a delay.
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attributes = self.aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    def parked_reasons(self, url: str) -> Counter[str]:
        """A dead-letter queue's messages by the reason they were parked with (`""`: none given: a redrive by SQS or an
        on-failure destination after retries). Read at the end: each stays invisible for a minute."""
        reasons: Counter[str] = Counter()
        sqs = self.aws("sqs")
        while True:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return reasons
            for message in messages:
                reasons[message.get("MessageAttributes", {}).get("parked_reason", {}).get("StringValue", "")] += 1

    def sent(self, what: str, **params: str) -> Any:
        """What SES or SNS really sent (the stack's readback of moto's backends)."""
        answer = requests.get(f"{self.state['readback_url']}/{what}", params=params, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def invoke(self, function: str) -> dict[str, Any]:
        """`python -m local invoke <function>` against this stack (the way a schedule is triggered)."""
        command = [sys.executable, "-m", "local", "invoke", function, "--state-file", str(self.state_file)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - our own interpreter and arguments, no shell
        result: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
        return result
