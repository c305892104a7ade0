"""The projects API's bodies and answers (contract.md "OpenSolar")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from solar_core.installations.statuses import InstallationStatus, SystemType
from solar_core.lazy_model import LazyModel
from solar_core.orders.models import Address

SyncStatus = Literal["pending", "synced", "failed"]
WebhookStatus = Literal["received", "processed", "ignored", "error"]
ProjectId = Annotated[str, Field(min_length=1, max_length=64)]


class OpenSolarStage(LazyModel):
    """Where the project stands in OpenSolar: its workflow stage (per-org ids) and the milestone (0 presale, 1 lock
    pricing, 2 sold, 3 installed, 4 other)."""

    workflow_id: int | None = None
    active_stage_id: int | None = None
    milestone: int | None = None


class Project(LazyModel):
    """An installation request with its OpenSolar link; `id` is the installation request id."""

    id: str
    ssr_id: str
    order_id: str
    opensolar_project_id: str | None
    sync_status: SyncStatus
    retry_count: int
    last_synced_at: str | None
    last_error: str | None
    status: InstallationStatus = Field(description="The installation request's status.")
    opensolar_stage: OpenSolarStage | None
    proposal_url: str | None
    contract_signed_at: str | None
    installation_date: str | None
    customer_name: str
    address: Address
    installation_type: SystemType
    created_at: str
    last_attempt_at: str | None = None


class ProjectPage(LazyModel):
    items: list[Project]
    next_token: str | None = Field(description="Pass it back to read the next page; null on the last page.")


class SyncQueued(LazyModel):
    queued: bool


class BulkSyncIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[ProjectId] = Field(min_length=1, max_length=100, description="Installation request ids.")


class RefusedId(LazyModel):
    id: str
    reason: str


class BulkSyncQueued(LazyModel):
    queued: list[str]
    rejected: list[RefusedId]


class SyncLogEntry(LazyModel):
    at: str
    operation: str = Field(description="create, update, lookup (after a lost answer) or read (live status).")
    success: bool
    outcome: str = Field(description="synced, read, failed, retrying (the queue tries again) or throttled.")
    duration_ms: float
    http_status: int | None = None
    error: str | None = None


class SyncLogList(LazyModel):
    items: list[SyncLogEntry]


class SyncStats(LazyModel):
    """The figures operators watch; counted as syncs happen, not from the logs."""

    sync_success_rate: float | None = Field(description="Succeeded ÷ (succeeded + failed) attempts; null before any.")
    avg_sync_ms: float | None = Field(description="Mean duration of the successful OpenSolar writes and lookups.")
    webhook_errors_24h: int
    failed_syncs: int = Field(description="Installation requests whose sync is failed now.")
    retries_exhausted: int = Field(description="Failed ones that used all the hourly retries (`max_retries`).")
    synced: int
    pending: int
    throttled_attempts: int = Field(description="Attempts OpenSolar answered with 429 (not failures).")


class WebhookLogEntry(LazyModel):
    event_key: str = Field(description="model:model_id:event_id, or legacy:<hash of the body> for the named events.")
    received_at: str
    status: WebhookStatus
    error: str | None = None
    detail: str | None = Field(default=None, description="What processing did, or why the delivery was ignored.")
    payload: Any = Field(description="The delivery as OpenSolar sent it.")


class WebhookLogList(LazyModel):
    items: list[WebhookLogEntry]
    next_token: str | None = None
