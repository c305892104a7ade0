"""The template's schedules: listed for `invoke`, optionally run on their rate (`up --run-schedules`)."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from local.aws.moto_server import ACCOUNT_ID

logger = logging.getLogger("local.event_sources.schedules")

RULE_TYPE = "AWS::Events::Rule"
SCHEDULE_TYPE = "AWS::Scheduler::Schedule"
_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    """One schedule that triggers a function."""

    logical_id: str
    kind: str  # the resource type
    name: str
    arn: str
    expression: str
    function: str  # logical id
    input: str | None  # the target's constant input (JSON), if any
    enabled: bool

    def event(self, region: str) -> Any:
        """The event the function receives: the constant input, else EventBridge's Scheduled Event."""
        if self.input is not None:
            return json.loads(self.input)
        if self.kind == SCHEDULE_TYPE:
            return {}
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [self.arn],
            "detail": {},
        }

    def period_seconds(self) -> int | None:
        """The period of a `rate(…)` expression; None for cron (not run automatically)."""
        match = _RATE.fullmatch(self.expression.strip())
        return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")] if match else None

    def as_json(self) -> dict[str, Any]:
        """The stack.json entry."""
        return asdict(self)


def rule_schedules(
    translated: dict[str, Any], physical_ids: dict[str, str], events: Any, function_of: Callable[[str], str]
) -> list[Schedule]:
    """EventBridge rules with a ScheduleExpression (created by moto's CloudFormation) and their Lambda targets."""
    found = []
    for logical_id, resource in translated["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] != RULE_TYPE or "ScheduleExpression" not in props or logical_id not in physical_ids:
            continue
        name = physical_ids[logical_id]
        rule = events.describe_rule(Name=name)
        for target in events.list_targets_by_rule(Rule=name)["Targets"]:
            if ":lambda:" not in target["Arn"]:
                continue
            found.append(
                Schedule(
                    logical_id=logical_id,
                    kind=RULE_TYPE,
                    name=name,
                    arn=rule["Arn"],
                    expression=props["ScheduleExpression"],
                    function=function_of(target["Arn"]),
                    input=target.get("Input"),
                    enabled=rule.get("State", "ENABLED") == "ENABLED",
                )
            )
    return found


def scheduler_schedules(
    emulated: dict[str, dict[str, Any]], region: str, function_of: Callable[[str], str]
) -> list[Schedule]:
    """EventBridge Scheduler schedules (moto's CloudFormation skips them) with a Lambda target."""
    found = []
    for logical_id, resource in emulated.items():
        if resource["Type"] != SCHEDULE_TYPE:
            continue
        props = resource["Properties"]
        target = props.get("Target", {})
        if ":lambda:" not in target.get("Arn", ""):
            continue
        name = props.get("Name", logical_id)
        found.append(
            Schedule(
                logical_id=logical_id,
                kind=SCHEDULE_TYPE,
                name=name,
                arn=f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/{props.get('GroupName', 'default')}/{name}",
                expression=props["ScheduleExpression"],
                function=function_of(target["Arn"]),
                input=target.get("Input"),
                enabled=props.get("State", "ENABLED") == "ENABLED",
            )
        )
    return found


class ScheduleRunner:
    """Invokes each enabled rate schedule on its period (cron expressions are left to `invoke`)."""

    def __init__(self, schedules: list[Schedule], invoke: Callable[[str, Any], Any], region: str) -> None:
        self._schedules = [s for s in schedules if s.enabled and s.period_seconds()]
        self._invoke = invoke
        self._region = region
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(s,), daemon=True) for s in self._schedules]
        for schedule in schedules:
            if schedule.enabled and not schedule.period_seconds():
                logger.warning("%s (%s) is not run automatically: use invoke", schedule.logical_id, schedule.expression)

    def start(self) -> None:
        """Start one timer thread per schedule."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop the timers (a running invocation finishes)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, schedule: Schedule) -> None:
        period = schedule.period_seconds() or 0
        while not self._stop.wait(period):
            try:
                self._invoke(schedule.function, schedule.event(self._region))
            except Exception:  # a failed run is logged; the next period runs again, as on AWS
                logger.exception("%s: scheduled run of %s failed", schedule.logical_id, schedule.function)
