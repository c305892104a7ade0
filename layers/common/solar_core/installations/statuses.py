"""The installation records' enumerations, on their own so that modules needing only a status import no models."""

from __future__ import annotations

from enum import StrEnum


class AutomationState(StrEnum):
    """Where the paid-order automation of one order stands; every state but `running` is final."""

    RUNNING = "running"
    CREATED = "created"
    SKIPPED = "skipped"
    FLAGGED = "flagged"
    FAILED = "failed"


class SystemType(StrEnum):
    SOLAR = "solar"
    HYBRID = "hybrid"


class SsrStatus(StrEnum):
    PENDING = "PENDING"


class InstallationStatus(StrEnum):
    """An installation request's status (contract.md): pending → scheduled → in_progress → completed, or cancelled."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class AttentionState(StrEnum):
    """The final automation states staff must act on (fix the order or the catalog, then re-run)."""

    FLAGGED = AutomationState.FLAGGED.value
    FAILED = AutomationState.FAILED.value


__all__ = ["AttentionState", "AutomationState", "InstallationStatus", "SsrStatus", "SystemType"]
