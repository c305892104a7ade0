"""The public OpenSolar API routes, behind a gate applying the slash rule, faults, auth, plan, org and throttles."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from typing import Any

from flask import Blueprint, Response, g, request

from local.opensolar_fake.api.drf_errors import validate_or_400
from local.opensolar_fake.api.faults import NO_FAULT, CallKind, FaultDecision
from local.opensolar_fake.api.models import LoginBody, MachineUserPatch, ProjectWrite, WebhookCreate, WebhookUpdate
from local.opensolar_fake.api.projects import page_of
from local.opensolar_fake.api.rate_limits import ThrottleScope
from local.opensolar_fake.api.request_bodies import read_body
from local.opensolar_fake.errors import ApiError
from local.opensolar_fake.responses import garbled, json_response, moved_permanently, server_error
from local.opensolar_fake.state import FakeOrg
from local.opensolar_fake.webhooks.process_logs import as_csv

_PROJECT_ENDPOINTS = ("api.projects", "api.project")
_READ_METHODS = ("GET", "HEAD", "OPTIONS")


def route_key() -> str:
    """`"METHOD /template/"` for the matched rule, without the slash when the client left it out."""
    rule = request.url_rule.rule if request.url_rule else request.path
    template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)
    if not request.path.endswith("/"):
        template = template.rstrip("/")
    return f"{request.method} {template}"


def _call_kind() -> CallKind:
    if request.endpoint == "api.login":
        return "auth"
    return "read" if request.method in _READ_METHODS else "write"


def _throttle_scope() -> ThrottleScope | None:
    if request.endpoint not in _PROJECT_ENDPOINTS:
        return None
    return "read" if request.method in _READ_METHODS else "write"


def _drop_connection() -> None:
    # Shut the socket so the client sees the connection end with no answer; werkzeug then fails to write and lets go.
    g.dropped = True
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)


def _fault_response(decision: FaultDecision) -> Response | None:
    if decision.drop:
        _drop_connection()
        return Response(b"", status=500)
    if decision.status == 429:
        response = json_response({"detail": "Request was throttled."}, 429)
        if decision.retry_after_s is not None:
            response.headers["Retry-After"] = str(round(decision.retry_after_s))
        return response
    if decision.status == 500:
        return server_error()
    return None


def _page_args(default_limit: int, max_limit: int) -> tuple[int, int]:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 0
    if page < 1:
        raise ApiError(404, {"detail": "Invalid page."})
    try:
        limit = int(request.args.get("limit", ""))
    except ValueError:
        limit = default_limit
    if limit < 1:
        limit = default_limit
    return page, min(limit, max_limit)


def _paged(items: list[Any], org: FakeOrg, *, always: bool = True) -> list[Any]:
    if not always and "page" not in request.args and "limit" not in request.args:
        return items
    page, limit = _page_args(org.quirks.default_page_size, org.quirks.max_page_size)
    return page_of(items, page, limit)


def build_api(org: FakeOrg) -> Blueprint:
    """The API blueprint bound to one fake organisation."""
    api = Blueprint("api", __name__)

    @api.before_request
    def gate() -> Response | None:
        g.route = route_key()
        if not request.path.endswith("/"):
            return moved_permanently()
        decision = org.decide_fault(_call_kind())
        g.fault = decision
        if decision.slow_s:
            time.sleep(decision.slow_s)
        if not decision.after_apply:
            faulted = _fault_response(decision)
            if faulted is not None:
                return faulted
        if request.endpoint != "api.login":
            org_id = (request.view_args or {}).get("org_id")
            g.user = org.admit(request.headers.get("Authorization"), org_id=org_id, scope=_throttle_scope())
        return None

    @api.after_request
    def finish(response: Response) -> Response:
        decision: FaultDecision = g.get("fault", NO_FAULT)
        if decision.after_apply and response.status_code < 400:
            # The write is saved, but the client never learns it: the uncertain failure idempotency is for.
            response = _fault_response(decision) or response
        if decision.garble and response.status_code < 300:
            response = garbled(response, decision.garble)
        org.record_call(g.get("route", route_key()), "dropped" if g.get("dropped") else str(response.status_code))
        return response

    @api.post("/api-token-auth/", endpoint="login")
    def login() -> Response:
        credentials = validate_or_400(LoginBody, read_body())
        return json_response(org.login(credentials.username, credentials.password))

    @api.route("/auth/users/<int:user_id>/", methods=["GET", "PATCH"], endpoint="user")
    def user(user_id: int) -> Response:
        if request.method == "GET":
            return json_response(org.user_details(user_id))
        patch = validate_or_400(MachineUserPatch, read_body())
        if "is_machine_user" not in patch.model_fields_set:
            return json_response(org.user_details(user_id))
        return json_response(org.mark_machine_user(user_id, patch.is_machine_user))

    @api.route("/api/orgs/<int:org_id>/projects/", methods=["GET", "POST"], endpoint="projects")
    def projects(org_id: int) -> Response:
        if request.method == "GET":
            args = request.args
            found = org.list_projects(
                ordering=args.get("ordering"), identifier=args.get("identifier"), search=args.get("search")
            )
            return json_response(_paged(found, org))
        new_project = validate_or_400(ProjectWrite, read_body())
        return json_response(org.save_new_project(new_project.changes()), 201)

    @api.route(
        "/api/orgs/<int:org_id>/projects/<int:project_id>/",
        methods=["GET", "PUT", "PATCH", "DELETE"],
        endpoint="project",
    )
    def project(org_id: int, project_id: int) -> Response:
        if request.method == "GET":
            return json_response(org.project_or_404(project_id))
        if request.method == "DELETE":
            org.remove_project(project_id)
            return Response(status=204)
        edit = validate_or_400(ProjectWrite, read_body())
        return json_response(org.save_project(project_id, edit.changes(), full=request.method == "PUT"))

    @api.route("/api/orgs/<int:org_id>/webhooks/", methods=["GET", "POST"], endpoint="webhooks")
    def webhooks(org_id: int) -> Response:
        if request.method == "GET":
            return json_response(_paged(org.list_webhooks(), org, always=False))
        registration = validate_or_400(WebhookCreate, read_body())
        return json_response(org.create_webhook(registration.model_dump()), 201)

    @api.route("/api/orgs/<int:org_id>/webhooks/<int:hook_id>/", methods=["GET", "PATCH", "DELETE"], endpoint="webhook")
    def webhook(org_id: int, hook_id: int) -> Response:
        if request.method == "GET":
            return json_response(org.webhook(hook_id))
        if request.method == "DELETE":
            org.delete_webhook(hook_id)
            return Response(status=204)
        change = validate_or_400(WebhookUpdate, read_body())
        return json_response(org.update_webhook(hook_id, change.model_dump(exclude_unset=True)))

    @api.get("/api/orgs/<int:org_id>/webhook_process_logs/", endpoint="process_logs")
    def process_logs(org_id: int) -> Response:
        rows = _paged(org.process_logs(), org, always=False)
        if request.args.get("format") == "csv":
            return Response(as_csv(rows), mimetype="text/csv")
        return json_response(rows)

    return api
