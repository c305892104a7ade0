"""QueueOpenSolarSync: ask the OpenSolar sync to create the project, when auto-sync is on."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import SyncInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.queue_sync(SyncInput.model_validate(task)).output
