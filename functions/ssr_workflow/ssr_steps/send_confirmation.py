"""SendConfirmation: the order confirmation email, sent at most once per order."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import ConfirmationInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.send_confirmation(ConfirmationInput.model_validate(task)).output
