"""DynamoDB stream → function, the way Lambda's event source mapping does it (filters, batches, retries, DLQ)."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.event_sources.mappings import EventSourceSpec, Invoker, failed_item_ids
from local.runtime.handlers import FunctionSpec

logger = logging.getLogger("local.pollers")


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(float(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lambda_record(record: dict[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it: with eventSourceARN, epoch creation time, eventVersion 1.1."""
    shaped = json.loads(json.dumps(record, default=str))
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        shaped["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    shaped.update(
        {
            "eventID": record.get("eventID") or uuid.uuid4().hex,
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "eventSourceARN": source_arn,
        }
    )
    return shaped


def describe_records(records: list[dict[str, Any]]) -> str:
    """`INSERT {"order_id": "SO-1"}, …`: which items a delivery carried, for the log."""
    described = []
    for record in records:
        keys = {name: next(iter(value.values())) for name, value in record["dynamodb"].get("Keys", {}).items()}
        described.append(f"{record['eventName']} {json.dumps(keys)}")
    return ", ".join(described)


def _never(_kind: str) -> bool:
    return False


class Destinations:
    """Sends a failure record to an on-failure destination (SQS queue or SNS topic) by ARN."""

    def __init__(self, sqs: Any, sns: Any) -> None:
        self._sqs = sqs
        self._sns = sns

    def send(self, destination_arn: str, message: dict[str, Any]) -> None:
        """Deliver `message` as JSON."""
        service, account, name = (
            destination_arn.split(":")[2],
            destination_arn.split(":")[4],
            destination_arn.split(":")[5],
        )
        body = json.dumps(message)
        if service == "sqs":
            url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=body)
        elif service == "sns":
            self._sns.publish(TopicArn=destination_arn, Message=body)
        else:
            logger.error("on-failure destination %s is not supported locally; the records are dropped", destination_arn)


class StreamPoller:
    """One thread per stream mapping; shards are read in order, each batch finished (or parked) before the next."""

    def __init__(
        self,
        spec: EventSourceSpec,
        *,
        function: FunctionSpec,
        invoke: Invoker,
        streams: Any,
        destinations: Destinations,
        region: str,
        interval_s: float = 0.2,
        redeliver: Callable[[str], bool] = _never,
    ) -> None:
        self.spec = spec
        self._redeliver = redeliver  # ("stream_again") → whether this successful batch is delivered once more
        self._function = function
        self._invoke = invoke
        self._streams = streams
        self._destinations = destinations
        self._region = region
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"stream-{spec.logical_id}", daemon=True)
        self._iterators: dict[str, str] = {}
        self.last_sequence_numbers: dict[str, str] = {}
        self.delivered = 0
        self.parked = 0

    def start(self) -> None:
        """Begin polling."""
        self._thread.start()

    def stop(self) -> None:
        """Finish the current batch and stop."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = any(self._poll_shard(shard) for shard in self._shards())
            except Exception:  # a poller must outlive a transient moto error
                logger.exception("%s: polling failed", self.spec.logical_id)
                busy = False
            if not busy:
                self._stop.wait(self._interval)

    def _shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self.spec.source_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def _iterator(self, shard_id: str) -> str:
        if shard_id not in self._iterators:
            position = self.spec.starting_position
            arguments = {"StreamArn": self.spec.source_arn, "ShardId": shard_id, "ShardIteratorType": position}
            self._iterators[shard_id] = self._streams.get_shard_iterator(**arguments)["ShardIterator"]
        return self._iterators[shard_id]

    def _poll_shard(self, shard_id: str) -> bool:
        """Read one batch (waiting up to the batching window to fill it) and process it; True if any arrived."""
        batch: list[dict[str, Any]] = []
        seen_any = False
        deadline = time.monotonic() + self.spec.batching_window_s
        while len(batch) < self.spec.batch_size and not self._stop.is_set():
            answer = self._streams.get_records(
                ShardIterator=self._iterator(shard_id), Limit=self.spec.batch_size - len(batch)
            )
            self._iterators[shard_id] = answer["NextShardIterator"]
            for record in answer["Records"]:
                seen_any = True
                self.last_sequence_numbers[shard_id] = record["dynamodb"]["SequenceNumber"]
                shaped = lambda_record(record, self.spec.source_arn, self._region)
                if self.spec.event_filter.matches(shaped):
                    batch.append(shaped)
            if not answer["Records"] and (not batch or time.monotonic() >= deadline):
                break
            if not answer["Records"]:
                self._stop.wait(min(self._interval, max(0.0, deadline - time.monotonic())))
        if batch:
            self._process(shard_id, batch)
        return seen_any

    def _process(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """Invoke until every record succeeded or was parked at the on-failure destination."""
        pending: deque[tuple[list[dict[str, Any]], int]] = deque([(records, 0)])
        while pending:
            batch, attempts = pending.popleft()
            failed_from, function_error = self._invoke_batch(batch)
            if failed_from is None:
                self.delivered += len(batch)
                self._deliver_again(batch)
                continue
            self.delivered += failed_from
            rest = batch[failed_from:]
            retries_left = self.spec.maximum_retry_attempts < 0 or attempts < self.spec.maximum_retry_attempts
            if not retries_left or self._stop.is_set():
                self._park(shard_id, rest, attempts + 1, function_error)
                continue
            self._stop.wait(self._interval)
            if self.spec.bisect_on_error and function_error and len(rest) > 1:
                middle = len(rest) // 2
                pending.extendleft([(rest[middle:], attempts + 1), (rest[:middle], attempts + 1)])
            else:
                pending.appendleft((rest, attempts + 1))

    def _deliver_again(self, batch: list[dict[str, Any]]) -> None:
        """Lambda reads a stream at least once: a batch that succeeded may be delivered again (a checkpoint lost)."""
        if not self._redeliver("stream_again"):
            return
        logger.warning("%s: %d record(s) delivered again", self.spec.logical_id, len(batch))
        if self._invoke_batch(batch)[0] is not None:
            logger.error("%s: the batch failed when delivered again (it had succeeded before)", self.spec.logical_id)

    def _invoke_batch(self, batch: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """(index of the first failed record or None, whether the function itself failed)."""
        logger.info("%s → %s: %s", self.spec.logical_id, self.spec.function, describe_records(batch))
        try:
            result = self._invoke(self.spec.function, {"Records": batch})
        except Exception:  # a handler error fails the batch, as in Lambda
            logger.exception("%s failed on %d record(s)", self.spec.function, len(batch))
            return 0, True
        if not self.spec.report_batch_item_failures:
            return None, False
        failed = failed_item_ids(result)
        if failed is None:
            return 0, False
        if not failed:
            return None, False
        positions = [i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in set(failed)]
        return (min(positions) if positions else 0), False

    def _park(self, shard_id: str, records: list[dict[str, Any]], invocations: int, function_error: bool) -> None:
        self.parked += len(records)
        if not self.spec.on_failure_arn:
            logger.error("%s: %d record(s) dropped after retries", self.spec.logical_id, len(records))
            return
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response["functionError"] = "Unhandled"
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function.arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime", time.time())),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime", time.time())),
                "batchSize": len(records),
                "streamArn": self.spec.source_arn,
            },
        }
        logger.warning("%s: %d record(s) sent to %s", self.spec.logical_id, len(records), self.spec.on_failure_arn)
        self._destinations.send(self.spec.on_failure_arn, message)
