"""Processing one stored webhook delivery (design.md flow 6): find the installation request it is about, apply what it
says, and record what became of it in the webhook log."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger

from solar_core.opensolar.config import IntegrationConfig, load_config
from solar_core.opensolar.inbound import webhook_log
from solar_core.opensolar.inbound.apply import OpenSolarState, UnreadableChange, apply_state, find_link
from solar_core.opensolar.inbound.deliveries import InboundChange
from solar_core.opensolar.request_status import AlreadyApplied

logger = Logger(child=True)


@dataclass(frozen=True)
class Processed:
    status: str  # processed, ignored, error, duplicate
    detail: str


def process_delivery(change: InboundChange, config: IntegrationConfig | None = None) -> Processed:
    """Applies the delivery once; an unknown project or a switched-off integration is `ignored`, a delivery whose
    fields cannot be read an `error` (not retried: it would fail the same way)."""
    config = config or load_config()
    key = change.event_key
    if not change.acted_on:
        return _settle(key, webhook_log.IGNORED, f"{change.model} {change.event} deliveries are stored, not acted on.")
    if not (config.is_active and config.webhooks_enabled):
        return _settle(key, webhook_log.IGNORED, "The integration or its webhooks are switched off in the config.")
    try:
        state = OpenSolarState.of_change(change)
    except UnreadableChange as unreadable:
        logger.error("webhook delivery unreadable", extra={"event_key": key, "reason": unreadable.message})
        webhook_log.mark(key, webhook_log.ERROR, error=unreadable.message)
        return Processed(webhook_log.ERROR, unreadable.message)
    link = find_link(identifier=change.identifier, project_id=state.project_id)
    if link is None:
        detail = f"No installation request of ours is linked to OpenSolar project {state.project_id}."
        return _settle(key, webhook_log.IGNORED, detail)
    try:
        applied = apply_state(link, state, config, origin="webhook", delivery_key=key)
    except AlreadyApplied:
        return Processed("duplicate", "The delivery was processed before.")
    logger.info(
        "webhook delivery applied",
        extra={"event_key": key, "installation_request_id": link.installation_request_id, "outcome": applied.outcome},
    )
    return Processed(webhook_log.PROCESSED, applied.detail)


def _settle(key: str, status: str, detail: str) -> Processed:
    if not webhook_log.mark(key, status, detail=detail):
        return Processed("duplicate", "The delivery was processed before.")
    return Processed(status, detail)
