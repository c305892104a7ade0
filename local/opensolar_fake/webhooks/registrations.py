"""Webhook registrations: OpenSolar's default field lists, trigger matching, payload filtering and the delivery body."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

from local.opensolar_fake.api.projects import Change
from local.opensolar_fake.clock import ModificationClock, drf_datetime
from local.opensolar_fake.errors import not_found

# What a webhook created with blank trigger/payload fields gets. Note what is missing: workflow and contract_date,
# so a client relying on the defaults misses stage moves that only change the workflow.
DEFAULT_FIELDS: tuple[str, ...] = (
    "contact.*",
    "event.*",
    "project.id",
    "project.identifier",
    "project.title",
    "project.address",
    "project.locality",
    "project.state",
    "project.zip",
    "project.country_iso2",
    "project.lat",
    "project.lon",
    "project.is_residential",
    "project.lead_source",
    "project.priority",
    "project.stage",
    "project.system_sold",
    "project.sold_date",
    "project.installation_date",
    "project.system_installed",
)


def subscribed(field_paths: list[str] | None, model: str, changed: Iterable[str]) -> bool:
    """Whether a change of `model` touching `changed` fields matches any of the `model.field` / `model.*` paths."""
    if not field_paths:
        return False
    names = set(changed)
    for path in field_paths:
        path_model, _, name = path.partition(".")
        if path_model == model.lower() and (name == "*" or name in names):
            return True
    return False


def select_fields(field_paths: list[str] | None, model: str, values: dict[str, Any]) -> dict[str, Any]:
    """The subset of `values` the payload paths ask for, in the object's own field order."""
    wanted = {
        name
        for path_model, _, name in (path.partition(".") for path in field_paths or ())
        if path_model == model.lower()
    }
    if "*" in wanted:
        return dict(values)
    return {name: value for name, value in values.items() if name in wanted}


def delivery_body(change: Change, event_id: int, payload_fields: list[str] | None) -> dict[str, Any]:
    """The JSON OpenSolar POSTs: note the timestamp is a string of unix seconds."""
    return {
        "timestamp": str(int(change.at.timestamp())),
        "model": change.model,
        "model_id": change.model_id,
        "identifier": change.identifier,
        "event": change.event,
        "event_id": event_id,
        "fields": select_fields(payload_fields, change.model, change.fields),
    }


def custom_headers(headers: str) -> dict[str, str]:
    """The registered headers string (validated on write to hold a JSON object) as request headers."""
    if not headers:
        return {}
    return {str(name): str(value) for name, value in json.loads(headers).items()}


class WebhookRegistry:
    """The org's webhooks. Callers hold the org lock."""

    def __init__(self, org_id: int, clock: ModificationClock) -> None:
        self.org_id = org_id
        self.base_url = "http://127.0.0.1"
        self._clock = clock
        self._hooks: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(301)

    def clear(self) -> None:
        self._hooks.clear()

    def create(self, values: dict[str, Any]) -> dict[str, Any]:
        now = drf_datetime(self._clock.now())
        hook_id = next(self._ids)
        hook = {
            "id": hook_id,
            "url": None,
            "org": None,
            "endpoint": values["endpoint"],
            "enabled": values["enabled"],
            "debug": values["debug"],
            "headers": values.get("headers", ""),
            # Blank on create means OpenSolar's defaults; blank on update means null (see update).
            "trigger_fields": values.get("trigger_fields") or list(DEFAULT_FIELDS),
            "payload_fields": values.get("payload_fields") or list(DEFAULT_FIELDS),
            "created_date": now,
            "modified_date": now,
        }
        self._hooks[hook_id] = hook
        return self.render(hook)

    def update(self, hook_id: int, values: dict[str, Any]) -> dict[str, Any]:
        hook = self._stored(hook_id)
        hook.update(values)
        hook["modified_date"] = drf_datetime(self._clock.now())
        return self.render(hook)

    def delete(self, hook_id: int) -> None:
        self._stored(hook_id)
        del self._hooks[hook_id]

    def get(self, hook_id: int) -> dict[str, Any]:
        return self.render(self._stored(hook_id))

    def all(self) -> list[dict[str, Any]]:
        return [self.render(hook) for hook in self._hooks.values()]

    def enabled(self) -> list[dict[str, Any]]:
        return [self.render(hook) for hook in self._hooks.values() if hook["enabled"]]

    def render(self, hook: dict[str, Any]) -> dict[str, Any]:
        shown = dict(hook)
        shown["url"] = f"{self.base_url}/api/orgs/{self.org_id}/webhooks/{hook['id']}/"
        shown["org"] = f"{self.base_url}/api/orgs/{self.org_id}/"
        shown["trigger_fields"] = list(hook["trigger_fields"]) if hook["trigger_fields"] is not None else None
        shown["payload_fields"] = list(hook["payload_fields"]) if hook["payload_fields"] is not None else None
        return shown

    def _stored(self, hook_id: int) -> dict[str, Any]:
        hook = self._hooks.get(hook_id)
        if hook is None:
            raise not_found()
        return hook
