"""CreateRecords: SSR, installation request, warranties and audit in one transaction, reused when they exist."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from solar_core.automation import steps
from solar_core.installations.models import CreateRecordsInput

logger = Logger(child=True)


def run(task: dict[str, Any]) -> dict[str, Any]:
    created = steps.create_records(CreateRecordsInput.model_validate(task))
    logger.append_keys(ssr_id=created.ssr_id)
    return created.model_dump(mode="json")
