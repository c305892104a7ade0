"""Everything the fake OpenSolar knows, behind the org lock, and the operations the API, control and tests use."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from local.opensolar_fake.api.auth import DEFAULT_TOKEN_LIFETIME_S, Accounts, User
from local.opensolar_fake.api.drf_errors import validate_or_400
from local.opensolar_fake.api.faults import CallKind, FaultDecision, FaultInjector, FaultSettings
from local.opensolar_fake.api.projects import Change, ProjectStore
from local.opensolar_fake.api.quirks import QuirkSettings
from local.opensolar_fake.api.rate_limits import LimitSettings, RateLimiter, ThrottleScope
from local.opensolar_fake.api.stats import CallStats
from local.opensolar_fake.api.workflow import Workflow
from local.opensolar_fake.clock import ModificationClock
from local.opensolar_fake.control.models import (
    DeliveryInjection,
    NewUser,
    StageMove,
    UiProjectEdit,
    WorkflowSettings,
)
from local.opensolar_fake.errors import PERMISSION_DENIED, ApiError, bad_request, not_found
from local.opensolar_fake.webhooks.delivery import DeliveryQueue, DeliverySettings
from local.opensolar_fake.webhooks.process_logs import log_rows
from local.opensolar_fake.webhooks.registrations import WebhookRegistry, custom_headers, delivery_body, subscribed

SettingsT = TypeVar("SettingsT", bound=BaseModel)

PLAN_MESSAGE = "API access requires a paid plan. Please upgrade your OpenSolar subscription to use the API."


def _merged(current: SettingsT, changes: Mapping[str, Any]) -> SettingsT:
    return validate_or_400(type(current), {**current.model_dump(), **changes})


class FakeOrg:
    """One OpenSolar organisation and its API users; every public method is safe to call from any thread.

    State sits behind one re-entrant lock; only the delivery queue has its own, taken after the org lock, never before.
    """

    def __init__(
        self,
        org_id: int = 1001,
        username: str = "api@example.com",
        password: str = "secret-pw",  # noqa: S107 - the fake's well-known test credential
        *,
        write_limit_per_minute: int = 10,
        read_limit_per_minute: int = 100,
        daily_limit: int = 10_000,
        token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S,
        rate_window_s: float = 60.0,
        retry_after: bool = False,
        workflow_id: int = 1,
        stage_milestones: Mapping[int, int] | None = None,
        delivery_timeout_s: float = 5.0,
        delivery_backoff_s: float = 30.0,
        max_delivery_attempts: int = 5,
        default_page_size: int = 20,
        max_page_size: int = 100,
    ) -> None:
        self.org_id = org_id
        self._lock = threading.RLock()
        self._initial_token_lifetime_s = token_lifetime_s
        self._initial_limits = LimitSettings(
            write_limit_per_minute=write_limit_per_minute,
            read_limit_per_minute=read_limit_per_minute,
            daily_limit=daily_limit,
            window_s=rate_window_s,
            retry_after=retry_after,
        )
        self._initial_quirks = QuirkSettings(default_page_size=default_page_size, max_page_size=max_page_size)
        self._initial_delivery = DeliverySettings(
            timeout_s=delivery_timeout_s, backoff_s=delivery_backoff_s, max_attempts=max_delivery_attempts
        )
        self._initial_workflow = Workflow.of(workflow_id, stage_milestones)
        self.accounts = Accounts(token_lifetime_s)
        self.accounts.add_user(username, password, org_id)
        self.limiter = RateLimiter(self._initial_limits)
        self.faults = FaultInjector()
        self.quirks = self._initial_quirks
        self.paid = True
        clock = ModificationClock()
        self.projects_store = ProjectStore(org_id, Workflow.of(workflow_id, stage_milestones), clock)
        self.webhooks = WebhookRegistry(org_id, clock)
        self.queue = DeliveryQueue(self._initial_delivery)
        self.calls = CallStats()
        self._event_ids = itertools.count(987001)
        self._base_url = "http://127.0.0.1"

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self._lock:
            self._base_url = value
            self.projects_store.base_url = value
            self.webhooks.base_url = value

    # the API's gate

    def decide_fault(self, kind: CallKind) -> FaultDecision:
        with self._lock:
            return self.faults.decide(kind)

    def record_call(self, route: str, status: str) -> None:
        with self._lock:
            self.calls.record(route, status)

    def login(self, username: str, password: str) -> dict[str, Any]:
        with self._lock:
            token, user = self.accounts.login(username, password)
            return {"token": token, "user": user.public(), "org_id": user.org_id, "orgs": [{"id": user.org_id}]}

    def admit(self, authorization: str | None, *, org_id: int | None, scope: ThrottleScope | None) -> User:
        """Authenticate, check the plan and the org, then throttle — DRF's order — and answer the caller."""
        with self._lock:
            user = self.accounts.authenticate(authorization)
            if not self.paid:
                raise ApiError(403, {"detail": PLAN_MESSAGE})
            if org_id is not None and org_id != self.org_id:
                raise ApiError(403, PERMISSION_DENIED)
            wait_s = self.limiter.admit(self.org_id, user.id, scope, time.monotonic())
            if wait_s is not None:
                seconds = max(1, math.ceil(wait_s))
                headers = {"Retry-After": str(seconds)} if self.limiter.settings.retry_after else {}
                raise ApiError(
                    429, {"detail": f"Request was throttled. Expected available in {seconds} seconds."}, headers
                )
            return user

    # users

    def user_details(self, user_id: int) -> dict[str, Any]:
        with self._lock:
            user = self.accounts.user(user_id)
            if user is None:
                raise not_found()
            return user.public()

    def mark_machine_user(self, user_id: int, is_machine_user: bool) -> dict[str, Any]:
        with self._lock:
            user = self.accounts.user(user_id)
            if user is None:
                raise not_found()
            user.is_machine_user = is_machine_user
            return user.public()

    def add_user(self, username: str, password: str) -> dict[str, Any]:
        """Another API user of the org (rate limits are per user)."""
        new_user = validate_or_400(NewUser, {"username": username, "password": password})
        with self._lock:
            return self.accounts.add_user(new_user.username, new_user.password, self.org_id).public()

    # projects through the API

    def list_projects(
        self, *, ordering: str | None, identifier: str | None, search: str | None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return self.projects_store.listing(
                ordering=ordering,
                identifier=identifier,
                search=search,
                invert_ordering=self.quirks.invert_ordering,
                ignore_filters=self.quirks.ignore_filters,
            )

    def save_new_project(self, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            project, changes = self.projects_store.create(values)
            self._publish(changes)
            return project

    def save_project(self, project_id: int, values: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
        with self._lock:
            project, changes = self.projects_store.update(project_id, values, full=full)
            self._publish(changes)
            return project

    def remove_project(self, project_id: int) -> None:
        with self._lock:
            self._publish(self.projects_store.delete(project_id))

    # projects as a UI user changes them (control routes and Python tests)

    def create_project(self, **fields: Any) -> dict[str, Any]:
        """Create a project as a UI user would (fires webhooks); fields as in the API, plus active_stage_id/stage."""
        values = validate_or_400(UiProjectEdit, fields).changes()
        with self._lock:
            self._stage_into_workflow(values, project_id=None)
            return self.save_new_project(values)

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        """Edit a project as a UI user would (fires webhooks)."""
        values = validate_or_400(UiProjectEdit, fields).changes()
        with self._lock:
            self._stage_into_workflow(values, project_id=project_id)
            return self.save_project(project_id, values)

    def set_stage(
        self, project_id: int, *, active_stage_id: int | None = None, stage: int | None = None
    ) -> dict[str, Any]:
        """Move a project to a stage id, or to the first stage of milestone `stage`; dates follow, webhooks fire."""
        move = validate_or_400(StageMove, {"active_stage_id": active_stage_id, "stage": stage})
        return self.update_project(project_id, active_stage_id=move.active_stage_id, stage=move.stage)

    def delete_project(self, project_id: int) -> None:
        self.remove_project(project_id)

    def project(self, project_id: int) -> dict[str, Any] | None:
        with self._lock:
            try:
                return self.projects_store.get(project_id)
            except ApiError:
                return None

    def project_or_404(self, project_id: int) -> dict[str, Any]:
        with self._lock:
            return self.projects_store.get(project_id)

    def projects(self) -> list[dict[str, Any]]:
        with self._lock:
            return self.projects_store.all()

    def workflow(self) -> dict[str, Any]:
        with self._lock:
            return self.projects_store.workflow.as_dict()

    def set_workflow(self, workflow_id: int, stage_milestones: Mapping[int, int]) -> dict[str, Any]:
        settings = validate_or_400(WorkflowSettings, {"workflow_id": workflow_id, "stage_milestones": stage_milestones})
        try:
            workflow = Workflow.of(settings.workflow_id, settings.stage_milestones)
        except ValueError as error:
            raise bad_request({"stage_milestones": [str(error)]}) from None
        with self._lock:
            self.projects_store.workflow = workflow
            return workflow.as_dict()

    # webhooks

    def list_webhooks(self) -> list[dict[str, Any]]:
        with self._lock:
            return self.webhooks.all()

    def webhook(self, hook_id: int) -> dict[str, Any]:
        with self._lock:
            return self.webhooks.get(hook_id)

    def create_webhook(self, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.webhooks.create(values)

    def update_webhook(self, hook_id: int, values: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.webhooks.update(hook_id, values)

    def delete_webhook(self, hook_id: int) -> None:
        with self._lock:
            self.webhooks.delete(hook_id)

    def process_logs(self) -> list[dict[str, Any]]:
        return log_rows(self.queue.records())

    # deliveries

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery with its body, headers, status and attempts (answers included)."""
        return self.queue.records()

    def flush_deliveries(self, timeout: float = 5.0) -> bool:
        """Release held deliveries, wait for queued ones and retries due within `timeout`; False if time ran out."""
        return bool(self.queue.flush(timeout)["drained"])

    def retry_deliveries_now(self) -> int:
        return self.queue.retry_now()

    def inject_deliveries(self, *, duplicate_next: int = 0, hold_next: int = 0) -> dict[str, int]:
        injection = validate_or_400(DeliveryInjection, {"duplicate_next": duplicate_next, "hold_next": hold_next})
        return self.queue.inject(duplicate_next=injection.duplicate_next, hold_next=injection.hold_next)

    def set_delivery_options(self, **changes: Any) -> dict[str, Any]:
        settings = _merged(self.queue.settings, changes)
        self.queue.configure(settings)
        return settings.model_dump()

    # switches

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings (unset ones fall back to none); see FaultSettings."""
        faults = validate_or_400(FaultSettings, settings)
        with self._lock:
            self.faults.configure(faults)
        return faults.model_dump()

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def set_limits(self, **changes: Any) -> dict[str, Any]:
        """Change some limits (see LimitSettings); counts so far are kept."""
        with self._lock:
            self.limiter.settings = _merged(self.limiter.settings, changes)
            return self.limiter.settings.model_dump()

    def set_quirks(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            self.quirks = _merged(self.quirks, changes)
            return self.quirks.model_dump()

    def set_plan(self, paid: bool) -> None:
        with self._lock:
            self.paid = paid

    def expire_tokens(self) -> int:
        """Expire every token issued so far, machine users' too; the number expired."""
        with self._lock:
            return self.accounts.expire_all()

    def set_token_lifetime(self, seconds: float) -> None:
        if seconds <= 0:
            raise bad_request({"lifetime_s": ["Ensure this value is greater than 0."]})
        with self._lock:
            self.accounts.token_lifetime_s = seconds

    def call_counts(self) -> dict[str, int]:
        """API calls so far per `"METHOD /route/template/"`; control routes are not counted."""
        with self._lock:
            return self.calls.counts()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {**self.calls.snapshot(), "faults_injected": dict(self.faults.injected)}

    def reset(self, *, tokens: bool = False) -> None:
        """Back to a fresh org: no projects, webhooks, deliveries, faults, counts; constructor limits and settings.

        Users and issued tokens survive unless `tokens` is true, so a client's session outlives a reset between tests.
        """
        with self._lock:
            self.projects_store.clear()
            self.projects_store.workflow = Workflow.of(
                self._initial_workflow.workflow_id, self._initial_workflow.stage_milestones
            )
            self.webhooks.clear()
            self.queue.clear()
            self.queue.configure(self._initial_delivery)
            self.calls.clear()
            self.limiter = RateLimiter(self._initial_limits)
            self.faults.clear()
            self.faults.injected.clear()
            self.quirks = self._initial_quirks
            self.paid = True
            self.accounts.reset(token_lifetime_s=self._initial_token_lifetime_s, drop_tokens=tokens)

    # internals

    def _stage_into_workflow(self, values: dict[str, Any], *, project_id: int | None) -> None:
        stage_id, milestone = values.pop("active_stage_id", None), values.pop("stage", None)
        if stage_id is not None or milestone is not None:
            chosen = self.projects_store.stage_for(active_stage_id=stage_id, milestone=milestone, project_id=project_id)
            values["workflow"] = {**values.get("workflow", {}), "active_stage_id": chosen}

    def _publish(self, changes: list[Change]) -> None:
        """Queue a delivery for every enabled webhook whose trigger fields match a change."""
        hooks = self.webhooks.enabled()
        for change in changes:
            event_id = next(self._event_ids)
            for hook in hooks:
                if subscribed(hook["trigger_fields"], change.model, change.changed):
                    body = delivery_body(change, event_id, hook["payload_fields"])
                    self.queue.enqueue(hook["id"], hook["endpoint"], custom_headers(hook["headers"]), body)
