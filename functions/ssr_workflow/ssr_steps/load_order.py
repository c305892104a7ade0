"""LoadOrder: does the order go on (won, paid, with solar lines), or is it skipped, and why."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import StepInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.load_order(StepInput.model_validate(task)).model_dump(mode="json")
