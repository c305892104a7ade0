"""NotifyStaff: one staff notice per new SSR on the staff topic, with the order's branch as an attribute."""

from __future__ import annotations

from typing import Any

from solar_core.automation import steps
from solar_core.installations.models import StaffNoticeInput


def run(task: dict[str, Any]) -> dict[str, Any]:
    return steps.notify_staff(StaffNoticeInput.model_validate(task)).output
