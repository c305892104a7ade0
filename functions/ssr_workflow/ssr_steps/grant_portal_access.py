"""GrantPortalAccess: the customer's portal user in the customer pool (created once, reused after)."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import SsrStepInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.grant_portal_access(SsrStepInput.model_validate(task)).output
