"""Event source mappings of the template, resolved, as the pollers need them (filters included)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("local.pollers")

ESM_TYPE = "AWS::Lambda::EventSourceMapping"
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

# (function logical id, event) → the handler's result; raises what the handler raises.
Invoker = Callable[[str, Any], Any]


class EventFilter:
    """FilterCriteria: a record is delivered when any filter's pattern matches it (Lambda's OR of filters)."""

    def __init__(self, filter_criteria: dict[str, Any] | None) -> None:
        from moto.events.models import EventPattern  # moto's EventBridge matcher = Lambda's filter syntax

        self.patterns = [EventPattern.load(f["Pattern"]) for f in (filter_criteria or {}).get("Filters", [])]

    def matches(self, record: dict[str, Any]) -> bool:
        """True if the record passes (no filters: everything passes)."""
        return not self.patterns or any(pattern.matches_event(record) for pattern in self.patterns)


@dataclass
class EventSourceSpec:
    """One AWS::Lambda::EventSourceMapping with its properties resolved."""

    logical_id: str
    function: str  # logical id of the function
    source_arn: str
    batch_size: int
    batching_window_s: float
    starting_position: str
    event_filter: EventFilter
    report_batch_item_failures: bool
    maximum_retry_attempts: int
    bisect_on_error: bool
    on_failure_arn: str | None
    maximum_concurrency: int | None
    enabled: bool = True
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """`dynamodb`, `sqs`, `kinesis`, … from the source ARN."""
        return self.source_arn.split(":")[2]

    def summary(self) -> dict[str, Any]:
        """What stack.json lists about this mapping."""
        return {
            "function": self.function,
            "kind": self.kind,
            "event_source_arn": self.source_arn,
            "batch_size": self.batch_size,
            "filters": [json.loads(json.dumps(p.get_pattern())) for p in self.event_filter.patterns],
            "on_failure": self.on_failure_arn,
            "maximum_retry_attempts": self.maximum_retry_attempts,
            "enabled": self.enabled,
        }


_DEFAULT_BATCH = {"sqs": 10, "dynamodb": 100, "kinesis": 100}


def event_source_specs(
    emulated: dict[str, dict[str, Any]], function_of: Callable[[str], str]
) -> dict[str, EventSourceSpec]:
    """Every resolved ESM; `function_of` maps the FunctionName (name or ARN) to the function's logical id."""
    specs = {}
    for logical_id, resource in emulated.items():
        if resource["Type"] != ESM_TYPE:
            continue
        props = resource["Properties"]
        source_arn = props["EventSourceArn"]
        kind = source_arn.split(":")[2]
        specs[logical_id] = EventSourceSpec(
            logical_id=logical_id,
            function=function_of(props["FunctionName"]),
            source_arn=source_arn,
            batch_size=int(props.get("BatchSize", _DEFAULT_BATCH.get(kind, 10))),
            batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            starting_position=props.get("StartingPosition", "LATEST"),
            event_filter=EventFilter(props.get("FilterCriteria")),
            report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES in props.get("FunctionResponseTypes", []),
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
            on_failure_arn=props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            maximum_concurrency=props.get("ScalingConfig", {}).get("MaximumConcurrency"),
            enabled=str(props.get("Enabled", True)).lower() != "false",
            properties=props,
        )
    return specs


def failed_item_ids(result: Any) -> list[str] | None:
    """`batchItemFailures` identifiers; None when the answer is malformed (Lambda then fails the whole batch)."""
    if not isinstance(result, dict) or result.get("batchItemFailures") is None:
        return []
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    ids = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
    return None if any(not isinstance(item, str) or not item for item in ids) else ids
