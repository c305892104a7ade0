"""Starting the SSR workflow for an order: one execution per order and attempt, named after both, so replays are
no-ops; and asking whether a named execution still runs."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import error_code, upstream_error
from solar_core.installations.ids import execution_name
from solar_core.settings import get_settings

logger = Logger(child=True)


class StartResult(StrEnum):
    STARTED = "started"
    ALREADY_STARTED = "already_started"


def start_ssr_workflow(order_id: str, attempt: int = 1, stepfunctions: Any | None = None) -> StartResult:
    """StartExecution named after the order and attempt with input `{"order_id"}`; an existing one counts as success.

    Throttling or an unavailable service raises UpstreamUnavailable (the stream record is retried).
    """
    sfn = stepfunctions or client("stepfunctions")
    name = execution_name(order_id, attempt)
    try:
        sfn.start_execution(
            stateMachineArn=get_settings().ssr_state_machine_arn,
            name=name,
            input=json.dumps({"order_id": order_id}),
        )
    except ClientError as exc:
        if error_code(exc) == "ExecutionAlreadyExists":
            logger.info("workflow already started for this order", extra={"execution_name": name})
            return StartResult.ALREADY_STARTED
        raise upstream_error(exc, "Step Functions") from exc
    except BotoCoreError as exc:
        raise upstream_error(exc, "Step Functions") from exc
    logger.info("workflow started", extra={"execution_name": name})
    return StartResult.STARTED


def _execution_arn(name: str) -> str:
    """`arn:…:stateMachine:<machine>` → `arn:…:execution:<machine>:<name>` (the documented ARN layout)."""
    machine_arn = get_settings().ssr_state_machine_arn
    return f"{machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def still_running(name: str, stepfunctions: Any | None = None) -> bool:
    """Whether the named execution runs now; False when it ended (failed, timed out, aborted) or never started."""
    sfn = stepfunctions or client("stepfunctions")
    try:
        status = sfn.describe_execution(executionArn=_execution_arn(name))["status"]
    except ClientError as exc:
        if error_code(exc) == "ExecutionDoesNotExist":
            return False
        raise upstream_error(exc, "Step Functions") from exc
    except BotoCoreError as exc:
        raise upstream_error(exc, "Step Functions") from exc
    return bool(status in ("RUNNING", "PENDING_REDRIVE"))
