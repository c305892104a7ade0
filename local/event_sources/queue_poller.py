"""SQS queue → function, the way Lambda's event source mapping does it (batches, partial failures, redrive)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from local.event_sources.mappings import EventSourceSpec, Invoker, failed_item_ids

logger = logging.getLogger("local.pollers")

_MAX_RECEIVE = 10  # SQS hands out at most 10 messages per receive
_DEFAULT_WORKERS = 2  # Lambda starts with several concurrent pollers; two show concurrency bugs locally


def _message_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    shaped = {}
    for name, value in attributes.items():
        binary = value.get("BinaryValue")
        shaped[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes) else binary,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
    return shaped


def lambda_record(message: dict[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    """An SQS message as Lambda delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def _never(_kind: str) -> bool:
    return False


def _filterable(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda filters SQS messages on the body parsed as JSON when it is JSON."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except ValueError:
        return record


class QueuePoller:
    """A few worker threads receiving, invoking and deleting; failures stay in the queue until redrive."""

    def __init__(
        self,
        spec: EventSourceSpec,
        invoke: Invoker,
        sqs: Any,
        region: str,
        *,
        interval_s: float = 0.2,
        redeliver: Callable[[str], bool] = _never,
        failed_visible_after_s: int | None = None,
    ) -> None:
        self.spec = spec
        # Compressed time (the soak): the messages of an invocation that failed are visible again after this many
        # seconds, not after the queue's visibility timeout (minutes); None keeps SQS's behaviour.
        self._failed_visible_after_s = failed_visible_after_s
        self._redeliver = redeliver  # ("sqs_twice") → whether SQS hands this message out once more
        self._invoke = invoke
        self._sqs = sqs
        self._region = region
        self._interval = interval_s
        self._stop = threading.Event()
        name = spec.source_arn.split(":")[5]
        account = spec.source_arn.split(":")[4]
        self.queue_url: str = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        workers = min(spec.maximum_concurrency or _DEFAULT_WORKERS, _DEFAULT_WORKERS)
        self._threads = [
            threading.Thread(target=self._run, name=f"queue-{spec.logical_id}-{n}", daemon=True) for n in range(workers)
        ]
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        """Begin polling."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Finish the current batches and stop."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._receive()
                if batch:
                    self._process(batch)
            except Exception:  # a poller must outlive a transient moto error
                logger.exception("%s: polling failed", self.spec.logical_id)
                batch = []
            if not batch:
                self._stop.wait(self._interval)

    def _receive(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.spec.batching_window_s
        while len(batch) < self.spec.batch_size and not self._stop.is_set():
            messages = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(_MAX_RECEIVE, self.spec.batch_size - len(batch)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            for message in messages:
                record = lambda_record(message, self.spec.source_arn, self._region)
                if self.spec.event_filter.matches(_filterable(record)):
                    batch.append(record)
                else:  # Lambda deletes the messages its filters drop
                    self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])
            if not messages and (not batch or time.monotonic() >= deadline):
                break
            if not messages:
                self._stop.wait(min(self._interval, max(0.0, deadline - time.monotonic())))
        return batch

    def _process(self, batch: list[dict[str, Any]]) -> None:
        message_ids = ", ".join(record["messageId"] for record in batch)
        logger.info("%s → %s: messages %s", self.spec.logical_id, self.spec.function, message_ids)
        try:
            result = self._invoke(self.spec.function, {"Records": batch})
        except Exception:  # the batch goes back to the queue, as in Lambda
            logger.exception("%s failed on %d message(s)", self.spec.function, len(batch))
            self.failed += len(batch)
            self._visible_again(batch)
            return
        failed = failed_item_ids(result) if self.spec.report_batch_item_failures else []
        if failed is None:
            logger.error("%s: malformed batchItemFailures, the whole batch is retried", self.spec.function)
            self.failed += len(batch)
            self._visible_again(batch)
            return
        # Reported failures keep the visibility the function gave them (it may have asked them to wait).
        done = [record for record in batch if record["messageId"] not in set(failed)]
        self.delivered += len(done)
        self.failed += len(batch) - len(done)
        self._deliver_again(done)
        for start in range(0, len(done), _MAX_RECEIVE):
            entries = [
                {"Id": str(n), "ReceiptHandle": record["receiptHandle"]}
                for n, record in enumerate(done[start : start + _MAX_RECEIVE])
            ]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def _visible_again(self, failed: list[dict[str, Any]]) -> None:
        if self._failed_visible_after_s is None:
            return
        for start in range(0, len(failed), _MAX_RECEIVE):
            entries = [
                {
                    "Id": str(n),
                    "ReceiptHandle": record["receiptHandle"],
                    "VisibilityTimeout": self._failed_visible_after_s,
                }
                for n, record in enumerate(failed[start : start + _MAX_RECEIVE])
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)

    def _deliver_again(self, done: list[dict[str, Any]]) -> None:
        """SQS delivers at least once: a message handled (and about to be deleted) may reach a consumer again."""
        for record in done:
            if not self._redeliver("sqs_twice"):
                continue
            logger.warning("%s: message %s delivered a second time", self.spec.logical_id, record["messageId"])
            try:
                self._invoke(self.spec.function, {"Records": [record]})
            except Exception:  # the first delivery succeeded; its delete below removes the message either way
                logger.exception("%s failed on the second delivery of %s", self.spec.function, record["messageId"])
