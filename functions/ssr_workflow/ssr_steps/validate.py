"""ValidateCompatibility: the catalog's compatibility and system-size checks over the order's solar lines."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import ValidateInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.validate(ValidateInput.model_validate(task)).model_dump(mode="json")
