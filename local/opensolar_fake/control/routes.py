"""The `/_control/` routes (no auth): drive the fake from tests, the local stack and benchmarks over HTTP."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from local.opensolar_fake.api.drf_errors import validate_or_400
from local.opensolar_fake.api.request_bodies import read_body
from local.opensolar_fake.control.models import (
    DeliveryInjection,
    FlushRequest,
    PlanSettings,
    ResetOptions,
    TokenSettings,
)
from local.opensolar_fake.errors import bad_request
from local.opensolar_fake.responses import json_response
from local.opensolar_fake.state import FakeOrg


def _object_body() -> dict[str, Any]:
    body = read_body()
    if not isinstance(body, dict):
        raise bad_request(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]}
        )
    return body


def build_control(org: FakeOrg) -> Blueprint:
    """The control blueprint bound to one fake organisation."""
    control = Blueprint("control", __name__, url_prefix="/_control")

    @control.get("/health")
    def health() -> Response:
        return json_response({"ok": True, "org_id": org.org_id, "base_url": org.base_url})

    @control.post("/reset")
    def reset() -> Response:
        options = validate_or_400(ResetOptions, _object_body())
        org.reset(tokens=options.tokens)
        return json_response({"reset": True})

    @control.get("/stats")
    def stats() -> Response:
        return json_response(org.stats())

    @control.post("/faults")
    def faults() -> Response:
        return json_response(org.set_faults(**_object_body()))

    @control.post("/faults/clear")
    def clear_faults() -> Response:
        org.clear_faults()
        return json_response({"cleared": True})

    @control.post("/limits")
    def limits() -> Response:
        return json_response(org.set_limits(**_object_body()))

    @control.post("/quirks")
    def quirks() -> Response:
        return json_response(org.set_quirks(**_object_body()))

    @control.post("/plan")
    def plan() -> Response:
        settings = validate_or_400(PlanSettings, _object_body())
        org.set_plan(settings.paid)
        return json_response({"paid": settings.paid})

    @control.post("/tokens/expire")
    def expire_tokens() -> Response:
        return json_response({"expired": org.expire_tokens()})

    @control.post("/tokens")
    def tokens() -> Response:
        settings = validate_or_400(TokenSettings, _object_body())
        org.set_token_lifetime(settings.lifetime_s)
        return json_response({"lifetime_s": settings.lifetime_s})

    @control.post("/users")
    def users() -> Response:
        body = _object_body()
        return json_response(org.add_user(str(body.get("username", "")), str(body.get("password", ""))), 201)

    @control.route("/workflow", methods=["GET", "POST"])
    def workflow() -> Response:
        if request.method == "GET":
            return json_response(org.workflow())
        body = _object_body()
        return json_response(org.set_workflow(body.get("workflow_id", 0), body.get("stage_milestones", {})))

    @control.route("/projects", methods=["GET", "POST"])
    def projects() -> Response:
        if request.method == "GET":
            return json_response(org.projects())
        return json_response(org.create_project(**_object_body()), 201)

    @control.route("/projects/<int:project_id>", methods=["GET", "POST", "DELETE"])
    def project(project_id: int) -> Response:
        if request.method == "GET":
            return json_response(org.project_or_404(project_id))
        if request.method == "DELETE":
            org.delete_project(project_id)
            return Response(status=204)
        return json_response(org.update_project(project_id, **_object_body()))

    @control.post("/projects/<int:project_id>/stage")
    def stage(project_id: int) -> Response:
        body = _object_body()
        unknown = sorted(set(body) - {"active_stage_id", "stage"})
        if unknown:
            raise bad_request({name: ["Unknown field."] for name in unknown})
        moved = org.set_stage(project_id, active_stage_id=body.get("active_stage_id"), stage=body.get("stage"))
        return json_response(moved)

    @control.get("/deliveries")
    def deliveries() -> Response:
        return json_response(org.deliveries())

    @control.post("/deliveries/flush")
    def flush() -> Response:
        options = validate_or_400(FlushRequest, _object_body())
        return json_response(org.queue.flush(options.timeout_s))

    @control.post("/deliveries/retry")
    def retry() -> Response:
        return json_response({"due_now": org.retry_deliveries_now()})

    @control.post("/deliveries/inject")
    def inject() -> Response:
        injection = validate_or_400(DeliveryInjection, _object_body())
        pending = org.inject_deliveries(duplicate_next=injection.duplicate_next, hold_next=injection.hold_next)
        return json_response(pending)

    @control.post("/deliveries/config")
    def delivery_config() -> Response:
        return json_response(org.set_delivery_options(**_object_body()))

    return control
