"""The daily catch-up (design.md flow 7): what webhooks missed, read from OpenSolar's project list.

The list has no "modified since" filter, so it is walked newest-modified first, page by page, and the walk stops at
the page that reaches the stored watermark: the cost grows with the projects changed since, not with all projects,
and there is no per-project read. Only linked projects are applied. The watermark moves only after a walk that went
through; an interrupted run leaves it, and the next run does the whole job again (applying is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from solar_core.aws_clients import client
from solar_core.aws_errors import CONDITION_FAILED_CODES, error_code, upstream_error
from solar_core.installations.clock import iso, now
from solar_core.opensolar.api.client import client_for
from solar_core.opensolar.config import CONFIG_PK, IntegrationConfig, load_config
from solar_core.opensolar.inbound.apply import OpenSolarState, apply_state, find_link
from solar_core.opensolar.tables import read_item
from solar_core.settings import get_settings

logger = Logger(child=True)

WATERMARK_KEY = {"pk": {"S": CONFIG_PK}, "sk": {"S": "CATCH_UP"}}


@dataclass(frozen=True)
class CatchUpRun:
    examined: int = 0
    applied: int = 0
    status_changes: int = 0
    watermark: str | None = None
    skipped: str | None = None


def load_watermark() -> datetime | None:
    item = read_item(WATERMARK_KEY)
    return datetime.fromisoformat(item["watermark"]["S"]) if item else None


def _save_watermark(newest: datetime) -> None:
    """Moves the watermark forward, never back (two overlapping runs leave the later one)."""
    try:
        client("dynamodb").update_item(
            TableName=get_settings().integration_table,
            Key=WATERMARK_KEY,
            UpdateExpression="SET watermark = :newest, walked_at = :now",
            ConditionExpression="attribute_not_exists(watermark) OR watermark < :newest",
            ExpressionAttributeValues={":newest": {"S": newest.isoformat()}, ":now": {"S": iso(now())}},
        )
    except ClientError as exc:
        if error_code(exc) not in CONDITION_FAILED_CODES:
            raise upstream_error(exc, "DynamoDB") from exc
    except BotoCoreError as exc:
        raise upstream_error(exc, "DynamoDB") from exc


def catch_up(config: IntegrationConfig | None = None) -> CatchUpRun:
    """Applies the projects changed in OpenSolar since the watermark; OpenSolar errors leave the watermark alone."""
    config = config or load_config()
    if not config.is_active:
        return CatchUpRun(skipped="The OpenSolar integration is not active.")
    watermark = load_watermark()
    newest: datetime | None = None
    examined = applied = changes = 0
    for project in client_for(config).walk_newest_modified(stop_before=watermark):
        examined += 1
        modified = project.modified_date
        if modified is not None and (newest is None or modified > newest):
            newest = modified
        if watermark is not None and (modified is None or modified <= watermark):
            continue  # the rest of the last page: applied by an earlier run
        link = find_link(identifier=project.identifier, project_id=project.id)
        if link is None or link.opensolar_project_id != str(project.id):
            continue  # not ours, or not linked yet (the sync's own lookup links it)
        outcome = apply_state(link, OpenSolarState.of_project(project), config, origin="daily catch-up")
        applied += 1
        changes += outcome.outcome == "status_changed"
    if newest is not None:
        _save_watermark(newest)
    logger.info("catch-up walked", extra={"examined": examined, "applied": applied, "status_changes": changes})
    return CatchUpRun(examined, applied, changes, newest.isoformat() if newest else None)
