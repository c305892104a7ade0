"""What OpenSolar says about a project, applied to our records: its stage and dates on the link, and our installation
request's status moved forward (design.md flows 6 and 7). Webhook deliveries, the daily catch-up and the live status
read all come through here.

- An older state (by when it was current in OpenSolar) never overwrites a newer one.
- The stage maps to our status through the config's `stage_map`, else through the milestone (0, 1 pending; 2
  scheduled; 3 completed; 4 only if mapped). OpenSolar moves our status forward only.
- OpenSolar's answer to our own push (the webhook about the stage we set) changes no status, and nothing arriving
  from OpenSolar is ever pushed back: pushes start only from a staff change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from pydantic import ValidationError
from pynamodb.expressions.update import Action

from solar_core import errors
from solar_core.installations import records
from solar_core.installations.audit import audit_item
from solar_core.installations.clock import iso, now
from solar_core.installations.statuses import InstallationStatus
from solar_core.installations.tables import InstallationRequestItem
from solar_core.opensolar import links, request_status
from solar_core.opensolar.api.bodies import OpenSolarProject, WorkflowStage
from solar_core.opensolar.config import IntegrationConfig
from solar_core.opensolar.inbound import webhook_log
from solar_core.opensolar.inbound.deliveries import InboundChange
from solar_core.opensolar.tables import LinkItem, StageMap

logger = Logger(child=True)

MILESTONE_STATUS = {
    0: InstallationStatus.PENDING,
    1: InstallationStatus.PENDING,
    2: InstallationStatus.SCHEDULED,
    3: InstallationStatus.COMPLETED,
}
STAGE_CHANGED, CONTRACT_SIGNED, PROJECT_SOLD, PROJECT_INSTALLED = 56, 63, 103, 104
# The echo of our own push is a delivery naming the stage we pushed, made when we pushed (give or take the clocks'
# margin, and however late OpenSolar redelivers it: its timestamp is the change's). A change to that stage made in
# OpenSolar later is no echo.
ECHO_MARGIN = timedelta(minutes=5)
_ATTEMPTS = 3


class UnreadableChange(errors.InvalidInput):
    """The delivery's fields cannot be read as a project's state (a real processing error, not a retryable one)."""


@dataclass(frozen=True)
class OpenSolarState:
    """A project's state in OpenSolar at `occurred_at`; None means the source said nothing about that part."""

    project_id: int
    occurred_at: datetime
    workflow: WorkflowStage | None = None
    milestone: int | None = None
    contract_at: datetime | None = None
    installation_date: datetime | None = None
    installed: bool = False
    proposal_url: str | None = None
    status: InstallationStatus | None = None  # said outright (the legacy `project.status_changed`)
    deleted: bool = False

    @classmethod
    def of_project(cls, project: OpenSolarProject, occurred_at: datetime | None = None) -> OpenSolarState:
        return cls(
            project_id=project.id,
            occurred_at=occurred_at or project.modified_date or now(),
            workflow=project.workflow,
            milestone=project.stage,
            contract_at=project.contract_date or project.sold_date,
            installation_date=project.installation_date,
            installed=project.project_installed is not None,
        )

    @classmethod
    def of_change(cls, change: InboundChange) -> OpenSolarState:
        if change.project_id is None:
            raise UnreadableChange(f"The {change.model} delivery names no project.")
        try:
            if change.source == "legacy":
                return cls._of_legacy(change, change.project_id)
            if change.model == "Event":
                return cls._of_event(change, change.project_id)
            project = OpenSolarProject.model_validate({**change.fields, "id": change.project_id})
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
            raise UnreadableChange(f"The delivery's fields cannot be read ({problem}).") from exc
        state = cls.of_project(project, change.occurred_at)
        return (
            state
            if change.event != "DELETE"
            else cls(project_id=project.id, occurred_at=state.occurred_at, deleted=True)
        )

    @classmethod
    def _of_event(cls, change: InboundChange, project_id: int) -> OpenSolarState:
        fields = change.fields
        kind = fields.get("event_type_id")
        workflow = WorkflowStage.model_validate(fields["workflow"]) if fields.get("workflow") else None
        return cls(
            project_id=project_id,
            occurred_at=change.occurred_at,
            workflow=workflow if kind == STAGE_CHANGED else None,
            contract_at=change.occurred_at if kind in (CONTRACT_SIGNED, PROJECT_SOLD) else None,
            installed=kind == PROJECT_INSTALLED,
        )

    @classmethod
    def _of_legacy(cls, change: InboundChange, project_id: int) -> OpenSolarState:
        data = change.fields
        project = OpenSolarProject.model_validate(
            {
                "id": project_id,
                "contract_date": data.get("contract_date"),
                "installation_date": data.get("installation_date"),
            }
        )
        status = None
        if change.event == "project.status_changed":
            try:
                status = InstallationStatus(data.get("status", ""))
            except ValueError as exc:
                raise UnreadableChange(f"status_changed names no status of ours: {data.get('status')!r}.") from exc
        elif change.event == "project.installation_scheduled":
            status = InstallationStatus.IN_PROGRESS
        return cls(
            project_id=project_id,
            occurred_at=change.occurred_at,
            contract_at=project.contract_date,
            installation_date=project.installation_date,
            proposal_url=data.get("proposal_url"),
            status=status,
            milestone=2 if change.event == "project.contract_signed" else None,
        )


def target_status(state: OpenSolarState, config: IntegrationConfig) -> InstallationStatus | None:
    """Our status for this state: said outright, else `stage_map`, else the milestone; None when nothing says."""
    if state.status is not None:
        return state.status
    stage_id = state.workflow.active_stage_id if state.workflow else None
    if stage_id is not None and str(stage_id) in config.stage_map:
        return config.stage_map[str(stage_id)]
    if state.installed:
        return InstallationStatus.COMPLETED
    if state.milestone is not None:
        return MILESTONE_STATUS.get(state.milestone)
    if state.contract_at is not None:
        return InstallationStatus.SCHEDULED
    return None


@dataclass(frozen=True)
class Applied:
    outcome: str  # status_changed, updated, stale, echo, unchanged
    detail: str


def apply_state(
    link: LinkItem,
    state: OpenSolarState,
    config: IntegrationConfig,
    *,
    origin: str,
    delivery_key: str | None = None,
) -> Applied:
    """Applies the state to the link (and the installation request's status), retrying when a concurrent change won.

    With `delivery_key`, the webhook delivery is marked processed in the same transaction: it is applied once, ever
    (AlreadyApplied when it was before).
    """
    for _ in range(_ATTEMPTS):
        try:
            return _apply(link, state, config, origin=origin, delivery_key=delivery_key)
        except request_status.AlreadyApplied:
            raise
        except errors.Conflict:
            link = links.get_link(link.installation_request_id, consistent=True)
    raise errors.UpstreamUnavailable("The installation request kept changing; retry.")


def _apply(
    link: LinkItem, state: OpenSolarState, config: IntegrationConfig, *, origin: str, delivery_key: str | None
) -> Applied:
    held = _parsed(link.opensolar_event_at)
    if held is not None and state.occurred_at < held:
        detail = f"OpenSolar's state of {iso(state.occurred_at)} is older than the one held ({iso(held)})."
        if delivery_key and not webhook_log.mark(delivery_key, webhook_log.PROCESSED, detail=detail):
            raise request_status.AlreadyApplied("This delivery was processed before.")
        return Applied("stale", detail)
    stored = records.get_installation_request(link.installation_request_id)
    request = InstallationRequestItem(
        ssr_id=stored.ssr_id,
        installation_request_id=stored.request.id,
        status=stored.request.status.value,
        order_id=stored.order_id,
    )
    current = stored.request.status
    wanted = None if state.deleted else target_status(state, config)
    echo = _is_echo(link, state)
    moves = wanted is not None and not echo and request_status.opensolar_may_move(current, wanted)
    at = iso(now())
    if moves and wanted is not None:
        applied = Applied("status_changed", f"{current.value} → {wanted.value}")
    elif echo:
        applied = Applied("echo", "OpenSolar confirmed the stage we pushed; nothing else changes.")
    else:
        reason = (
            "no status follows from it" if wanted is None else f"{current.value} stays ({wanted.value} is not ahead)"
        )
        applied = Applied("updated", f"Stage and dates kept; {reason}.")
    seen = link.opensolar_event_at
    change = request_status.RequestChange(
        request=request,
        new_status=wanted if moves else None,
        link_actions=[*_snapshot(state), LinkItem.opensolar_event_at.set(state.occurred_at.isoformat())],
        link_condition=(LinkItem.opensolar_event_at == seen) if seen else LinkItem.opensolar_event_at.does_not_exist(),
        extra=[webhook_log.processed(delivery_key, applied.detail)] if delivery_key else [],
    )
    if state.installation_date is not None:
        change.request_actions.append(
            InstallationRequestItem.installation_date.set(state.installation_date.date().isoformat())
        )
    if moves and wanted is not None:
        detail = f"{current.value} → {wanted.value} from OpenSolar ({origin}: {_describe(state)})."
        change.audit.append(audit_item(stored.order_id, "status_changed", detail, stored.ssr_id, at, repeatable=True))
    request_status.save(change, at=at)
    if moves:
        logger.info("status moved by OpenSolar", extra={"installation_request_id": link.installation_request_id})
    return applied


def _is_echo(link: LinkItem, state: OpenSolarState) -> bool:
    pushed_at = _parsed(link.pushed_at)
    stage_id = state.workflow.active_stage_id if state.workflow else None
    return (
        pushed_at is not None
        and stage_id is not None
        and link.pushed_stage_id is not None
        and int(link.pushed_stage_id) == stage_id
        and pushed_at - ECHO_MARGIN <= state.occurred_at <= pushed_at + ECHO_MARGIN
    )


def _snapshot(state: OpenSolarState) -> list[Action]:
    actions: list[Action] = []
    if state.workflow is not None or state.milestone is not None:
        stage = StageMap(  # type: ignore[no-untyped-call]
            workflow_id=state.workflow.workflow_id if state.workflow else None,
            active_stage_id=state.workflow.active_stage_id if state.workflow else None,
            milestone=state.milestone,
        )
        actions.append(LinkItem.opensolar_stage.set(stage))
    if state.contract_at is not None:
        actions.append(LinkItem.contract_signed_at.set(iso(state.contract_at)))
    if state.installation_date is not None:
        actions.append(LinkItem.installation_date.set(state.installation_date.date().isoformat()))
    if state.proposal_url:
        actions.append(LinkItem.proposal_url.set(state.proposal_url[:2000]))
    if state.deleted:
        actions.append(LinkItem.last_error.set("The project was deleted in OpenSolar."))
    return actions


def _describe(state: OpenSolarState) -> str:
    parts = []
    if state.workflow and state.workflow.active_stage_id is not None:
        parts.append(f"stage {state.workflow.active_stage_id}")
    if state.milestone is not None:
        parts.append(f"milestone {state.milestone}")
    if state.installed:
        parts.append("installed")
    if state.status is not None:
        parts.append(f"status {state.status.value}")
    return ", ".join(parts) or "dates"


def _parsed(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else None


def find_link(*, identifier: str | None, project_id: int | None) -> LinkItem | None:
    """The link OpenSolar's project belongs to: by our identifier when it carries one, else by its project id."""
    if identifier:
        try:
            link = links.get_link(identifier)
        except links.LinkMissing:
            link = None
        if link is not None and (link.opensolar_project_id in (None, str(project_id)) or project_id is None):
            return link
    if project_id is None:
        return None
    return links.link_of_project(project_id)
