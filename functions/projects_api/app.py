"""Projects API: the service records (SSR) read routes, automation re-runs and installation request changes, the
OpenSolar projects, syncs, logs, config, stats, webhook logs and webhook registration, and installation scheduling
(crews, days off, schedules, slots, bookings)."""

import datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BeforeValidator

from solar_core.adapters.http import CALLS_OPENSOLAR, STAFF_ONLY, ResourceId, build_resolver, caller_id
from solar_core.automation import attention
from solar_core.automation.rerun import RerunStarted, rerun_automation
from solar_core.automation.views import service_request_by_ssr, service_request_for_order
from solar_core.errors import InvalidInput
from solar_core.installations.models import InstallationStatus, ServiceRequestView
from solar_core.installations.statuses import AttentionState
from solar_core.metric_names import Metric
from solar_core.opensolar import projects
from solar_core.opensolar.config import IntegrationConfig, IntegrationConfigIn, load_config, save_config
from solar_core.opensolar.inbound import registration, webhook_log
from solar_core.opensolar.inbound.registration import Registration
from solar_core.opensolar.models import (
    BulkSyncIn,
    BulkSyncQueued,
    Project,
    ProjectPage,
    SyncLogList,
    SyncQueued,
    SyncStats,
    SyncStatus,
    WebhookLogList,
    WebhookStatus,
)
from solar_core.opensolar.outbound import booked
from solar_core.opensolar.outbound.staff_changes import (
    InstallationRequestPatch,
    InstallationRequestView,
    update_installation_request,
)
from solar_core.opensolar.stats import read_stats
from solar_core.scheduling import bookings, calendar, crews
from solar_core.scheduling.models import (
    Booking,
    BookingIn,
    Crew,
    CrewIn,
    CrewList,
    DayOff,
    DayOffIn,
    Schedule,
    SlotList,
)
from solar_core.scheduling.slots import crew_schedule, slots_for_request

logger = Logger()
metrics = Metrics()
app = build_resolver()

Force = Annotated[bool, Query(description="Sync again even when the project is synced already.")]
_ACCEPTED = HTTPStatus.ACCEPTED.value
# A day in a path or query: written YYYY-MM-DD, nothing else (pydantic alone would read "0" as 1970-01-01).
CalendarDay = Annotated[datetime.date, BeforeValidator(calendar.iso_day)]
From = Annotated[CalendarDay | None, Query(alias="from", description="YYYY-MM-DD (default tomorrow)")]
DayPath = Annotated[CalendarDay, Path(description="YYYY-MM-DD")]
Days = Annotated[int | None, Query(ge=1, le=calendar.MAX_WINDOW_DAYS, description="How many days (default 14)")]
_CREW_SAVED = {
    HTTPStatus.OK: {"description": "Replaced", "content": {content_types.APPLICATION_JSON: {"model": Crew}}},
    HTTPStatus.CREATED: {"description": "Created", "content": {content_types.APPLICATION_JSON: {"model": Crew}}},
}
_NO_CONTENT = {HTTPStatus.NO_CONTENT: {"description": "Done"}}


@app.get("/orders/<id>/service-request", tags=["service records"])
def get_order_service_request(id: ResourceId) -> ServiceRequestView:
    logger.append_keys(order_id=id)
    return service_request_for_order(id)


@app.get("/service-requests/<ssr_id>", tags=["service records"])
def get_service_request(ssr_id: ResourceId) -> ServiceRequestView:
    logger.append_keys(ssr_id=ssr_id)
    return service_request_by_ssr(ssr_id)


@app.post(
    "/orders/<id>/automation/rerun",
    summary="Run the automation again for a flagged, skipped or failed order once it is fixed (staff)",
    tags=["service records"],
    status_code=_ACCEPTED,
    openapi_extensions=STAFF_ONLY,
)
def rerun_order_automation(id: ResourceId) -> RerunStarted:
    logger.append_keys(order_id=id)
    started = rerun_automation(id, staff_id=caller_id(app))
    metrics.add_metric(name=Metric.AUTOMATION_RERUN, unit=MetricUnit.Count, value=1)
    return started


@app.get(
    "/automation/orders",
    summary="Orders whose automation is flagged or failed, with the reason (newest first)",
    tags=["service records"],
)
def list_orders_needing_attention(
    state: Annotated[AttentionState | None, Query(description="flagged or failed; both when absent")] = None,
    limit: Annotated[int, Query(ge=1, le=attention.MAX_PAGE)] = attention.DEFAULT_PAGE,
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> attention.AttentionPage:
    return attention.needing_attention(state=state, limit=limit, next_token=next_token)


@app.get("/opensolar/projects", summary="List installation requests with their OpenSolar sync", tags=["opensolar"])
def list_projects(
    sync_status: Annotated[SyncStatus | None, Query()] = None,
    status: Annotated[InstallationStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=projects.MAX_PAGE)] = projects.DEFAULT_PAGE,
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> ProjectPage:
    return projects.list_projects(
        sync_status=sync_status, status=status.value if status else None, limit=limit, next_token=next_token
    )


@app.get("/opensolar/projects/<id>", summary="One installation request's OpenSolar project", tags=["opensolar"])
def get_project(id: ResourceId) -> Project:
    logger.append_keys(installation_request_id=id)
    return projects.get_project(id)


@app.post(
    "/opensolar/projects/<id>/sync",
    summary="Queue a sync now (auto-sync does not apply); 409 if synced, unless force",
    tags=["opensolar"],
    status_code=_ACCEPTED,
)
def sync_project(id: ResourceId, force: Force = False) -> SyncQueued:
    logger.append_keys(installation_request_id=id)
    return projects.request_sync(id, force=force)


@app.post(
    "/opensolar/projects/sync",
    summary="Queue syncs for selected installation requests; each refused id with its reason",
    tags=["opensolar"],
    status_code=_ACCEPTED,
)
def sync_selected(selection: Annotated[BulkSyncIn, Body()], force: Force = False) -> BulkSyncQueued:
    return projects.request_bulk_sync(selection.ids, force=force)


@app.get(
    "/opensolar/projects/<id>/status",
    summary="Read the project from OpenSolar now and keep what it says",
    tags=["opensolar"],
    openapi_extensions=CALLS_OPENSOLAR,
)
def live_status(id: ResourceId) -> Project:
    logger.append_keys(installation_request_id=id)
    return projects.live_status(id)


@app.get("/opensolar/projects/<id>/sync-logs", summary="Sync attempts, newest first", tags=["opensolar"])
def sync_logs(id: ResourceId) -> SyncLogList:
    logger.append_keys(installation_request_id=id)
    return projects.sync_logs(id)


@app.get(
    "/opensolar/config", summary="The integration's config (staff)", tags=["opensolar"], openapi_extensions=STAFF_ONLY
)
def get_config() -> IntegrationConfig:
    return load_config()


@app.put(
    "/opensolar/config",
    summary="Replace the integration's config (staff); absent fields take their defaults",
    tags=["opensolar"],
    openapi_extensions=STAFF_ONLY,
)
def put_config(config: Annotated[IntegrationConfigIn, Body()]) -> IntegrationConfig:
    saved = save_config(IntegrationConfig.model_validate(config.model_dump()), updated_by=caller_id(app))
    logger.info("OpenSolar config saved", extra={"is_active": saved.is_active, "auto_sync": saved.auto_sync_enabled})
    return saved


@app.get("/opensolar/stats", summary="Sync health: success rate, timings, failures, retries", tags=["opensolar"])
def get_stats() -> SyncStats:
    return read_stats()


@app.get(
    "/opensolar/webhook-logs", summary="OpenSolar's webhook deliveries and what became of them", tags=["opensolar"]
)
def webhook_logs(
    status: Annotated[WebhookStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=projects.MAX_PAGE)] = projects.DEFAULT_PAGE,
    next_token: Annotated[str | None, Query(max_length=4096)] = None,
) -> WebhookLogList:
    return webhook_log.list_logs(status=status, limit=limit, next_token=next_token)


@app.put(
    "/opensolar/webhook-registration",
    summary="Register our webhook in OpenSolar, or update it (staff)",
    tags=["opensolar"],
    openapi_extensions=STAFF_ONLY | CALLS_OPENSOLAR,
)
def register_webhook() -> Registration:
    return registration.register()


@app.get(
    "/opensolar/webhook-registration",
    summary="Our webhook's registration in OpenSolar (staff)",
    tags=["opensolar"],
    openapi_extensions=STAFF_ONLY,
)
def get_webhook_registration() -> Registration:
    return registration.current()


@app.delete(
    "/opensolar/webhook-registration",
    summary="Disable our webhook in OpenSolar (staff)",
    tags=["opensolar"],
    openapi_extensions=STAFF_ONLY | CALLS_OPENSOLAR,
)
def disable_webhook() -> Registration:
    return registration.disable()


@app.patch(
    "/installation-requests/<id>",
    summary="Move an installation request, set its installation date, add a note (staff); pushed to OpenSolar",
    tags=["service records"],
    openapi_extensions=STAFF_ONLY,
)
def patch_installation_request(
    id: ResourceId, patch: Annotated[InstallationRequestPatch, Body()]
) -> InstallationRequestView:
    logger.append_keys(installation_request_id=id)
    return update_installation_request(id, patch, by=caller_id(app))


@app.put(
    "/crews/<id>",
    summary="Create or replace a crew (staff); 409 naming the bookings a change would strand",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
    responses=_CREW_SAVED,
)
def put_crew(id: ResourceId, crew: Annotated[CrewIn, Body()]) -> Response[Crew]:
    logger.append_keys(crew_id=id)
    saved, created = crews.put_crew(id, crew)
    status = HTTPStatus.CREATED if created else HTTPStatus.OK
    return Response(status_code=status.value, content_type=content_types.APPLICATION_JSON, body=saved)


@app.get(
    "/crews", summary="The crews, of one branch or all (staff)", tags=["scheduling"], openapi_extensions=STAFF_ONLY
)
def list_crews(branch_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None) -> CrewList:
    return CrewList(items=crews.list_crews(branch_id))


@app.put(
    "/crews/<id>/days-off/<date>",
    summary="Mark a crew off for a day (staff); 409 naming the bookings of that day",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
)
def put_day_off(id: ResourceId, date: DayPath, body: Annotated[DayOffIn | None, Body()] = None) -> DayOff:
    logger.append_keys(crew_id=id)
    if body is None and app.current_event.body and not isinstance(app.current_event.json_body, dict):
        # The body is optional; when given it is the object, not anything else (Powertools lets a list through).
        raise InvalidInput("The body must be a JSON object: {reason?}.")
    return crews.put_day_off(id, date, body or DayOffIn())


@app.delete(
    "/crews/<id>/days-off/<date>",
    summary="Take back a crew's day off (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
    responses=_NO_CONTENT,
)
def delete_day_off(id: ResourceId, date: DayPath) -> Response[None]:
    logger.append_keys(crew_id=id)
    crews.delete_day_off(id, date)
    return Response(status_code=HTTPStatus.NO_CONTENT.value)


@app.get(
    "/crews/<id>/schedule",
    summary="A crew's bookings by date, from today by default (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
)
def get_crew_schedule(id: ResourceId, from_: From = None, days: Days = None) -> Schedule:
    logger.append_keys(crew_id=id)
    return crew_schedule(id, from_.isoformat() if from_ else None, days)


@app.get(
    "/installation-requests/<id>/slots",
    summary="Free crew slots for an installation request, earliest first (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
)
def get_slots(id: ResourceId, from_: From = None, days: Days = None) -> SlotList:
    logger.append_keys(installation_request_id=id)
    return slots_for_request(id, from_.isoformat() if from_ else None, days)


@app.put(
    "/installation-requests/<id>/booking",
    summary="Book an installation request on a crew's day, or on the first free slot when none is given (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
)
def put_booking(id: ResourceId, wanted: Annotated[BookingIn | None, Body()] = None) -> Booking:
    logger.append_keys(installation_request_id=id)
    return booked.book(id, wanted or BookingIn(), by=caller_id(app))


@app.get(
    "/installation-requests/<id>/booking",
    summary="An installation request's booking (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
)
def get_booking(id: ResourceId) -> Booking:
    logger.append_keys(installation_request_id=id)
    return bookings.get_booking(id)


@app.delete(
    "/installation-requests/<id>/booking",
    summary="Free an installation request's booking (staff)",
    tags=["scheduling"],
    openapi_extensions=STAFF_ONLY,
    responses=_NO_CONTENT,
)
def delete_booking(id: ResourceId) -> Response[None]:
    logger.append_keys(installation_request_id=id)
    booked.unbook(id, by=caller_id(app))
    return Response(status_code=HTTPStatus.NO_CONTENT.value)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
