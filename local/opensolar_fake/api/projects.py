"""The organisation's projects: create, edit, stage moves, delete, and the list's filters and ordering."""

from __future__ import annotations

import copy
import functools
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.opensolar_fake.api.workflow import INSTALLED, LOCK_PRICING, SOLD, Workflow
from local.opensolar_fake.clock import ModificationClock, drf_datetime
from local.opensolar_fake.errors import bad_request, not_found

STAGE_CHANGED, CONTRACT_SIGNED, PROJECT_SOLD, PROJECT_INSTALLED = 56, 63, 103, 104
EVENT_TYPES = {
    STAGE_CHANGED: "Stage changed",
    CONTRACT_SIGNED: "Contract signed (DocuSign)",
    PROJECT_SOLD: "Project sold",
    PROJECT_INSTALLED: "Project installed",
}
# An Event fires when one of these goes from null to a value.
_DATE_EVENTS = (
    ("contract_date", CONTRACT_SIGNED),
    ("sold_date", PROJECT_SOLD),
    ("project_installed", PROJECT_INSTALLED),
)
_PLAIN_FIELDS = (
    "identifier",
    "is_residential",
    "lead_source",
    "notes",
    "address",
    "locality",
    "state",
    "zip",
    "country_iso2",
    "lat",
    "lon",
    "priority",
)
DATE_FIELDS = ("contract_date", "sold_date", "installation_date", "project_installed")
ORDERING_FIELDS = ("id", "created_date", "modified_date")
SEARCHED_FIELDS = ("title", "identifier", "address", "locality", "notes")


@dataclass(frozen=True)
class Change:
    """One saved change of one model, as OpenSolar's webhook dispatcher sees it."""

    model: str  # Project, Contact or Event
    event: str  # CREATE, UPDATE or DELETE
    model_id: int
    identifier: str | None
    fields: dict[str, Any]
    changed: frozenset[str]
    at: datetime


def _title(project: dict[str, Any]) -> str:
    parts = [project["address"], project["locality"], " ".join(p for p in (project["state"], project["zip"]) if p)]
    title = ", ".join(part for part in parts if part)
    if not title and project["lat"] is not None and project["lon"] is not None:
        title = f"{project['lat']}, {project['lon']}"
    return title


class ProjectStore:
    """Projects in memory. Callers hold the org lock."""

    def __init__(self, org_id: int, workflow: Workflow, clock: ModificationClock) -> None:
        self.org_id = org_id
        self.workflow = workflow
        self.base_url = "http://127.0.0.1"
        self._clock = clock
        self._projects: dict[int, dict[str, Any]] = {}
        self._times: dict[int, tuple[datetime, datetime]] = {}  # id -> (created, modified), for ordering
        # Ids keep counting across resets so a stale id from an earlier test never finds a new project.
        self._project_ids = itertools.count(4201)
        self._contact_ids = itertools.count(7301)
        self._event_ids = itertools.count(55001)

    def clear(self) -> None:
        self._projects.clear()
        self._times.clear()

    # reading

    def url(self, project_id: int) -> str:
        return f"{self.base_url}/api/orgs/{self.org_id}/projects/{project_id}/"

    def render(self, project: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(project)
        shown["url"] = self.url(project["id"])
        shown["org"] = f"{self.base_url}/api/orgs/{self.org_id}/"
        for contact in shown["contacts"]:
            contact["url"] = f"{self.base_url}/api/orgs/{self.org_id}/contacts/{contact['id']}/"
        return shown

    def get(self, project_id: int) -> dict[str, Any]:
        return self.render(self._stored(project_id))

    def all(self) -> list[dict[str, Any]]:
        return [self.render(project) for project in self._projects.values()]

    def listing(
        self,
        *,
        ordering: str | None,
        identifier: str | None,
        search: str | None,
        invert_ordering: bool = False,
        ignore_filters: bool = False,
    ) -> list[dict[str, Any]]:
        projects = list(self._projects.values())
        if not ignore_filters:
            if identifier is not None:
                projects = [project for project in projects if project["identifier"] == identifier]
            if search:
                projects = [project for project in projects if self._matches(project, search.lower())]
        projects.sort(key=lambda project: project["id"])
        # DRF's OrderingFilter: comma-separated terms, unknown ones ignored; sort by the last term first (stable).
        terms = [term.strip() for term in (ordering or "").split(",") if term.strip().lstrip("-") in ORDERING_FIELDS]
        for term in reversed(terms):
            projects.sort(key=functools.partial(self._sort_value, name=term.lstrip("-")), reverse=term.startswith("-"))
        if invert_ordering and terms:
            projects.reverse()
        return [self.render(project) for project in projects]

    # writing

    def create(self, values: dict[str, Any]) -> tuple[dict[str, Any], list[Change]]:
        self._check(values, creating=True)
        now = self._clock.now()
        project_id = next(self._project_ids)
        stage_id = self.workflow.initial_stage()
        project: dict[str, Any] = {
            "id": project_id,
            "url": None,
            "org": None,
            "org_id": self.org_id,
            "identifier": None,
            "title": "",
            "address": "",
            "locality": "",
            "state": "",
            "zip": "",
            "country_iso2": "",
            "lat": None,
            "lon": None,
            "is_residential": True,
            "lead_source": "",
            "notes": "",
            "priority": 2,
            "contacts": [],
            "systems": [],
            "tags": [],
            "assigned_role": None,
            "workflow": {"workflow_id": self.workflow.workflow_id, "active_stage_id": stage_id},
            "stage": self.workflow.milestone_of(stage_id),
            "is_pricing_locked": False,
            "contract_date": None,
            "sold_date": None,
            "installation_date": None,
            "project_installed": None,
            "system_sold": None,
            "system_installed": None,
            "created_date": drf_datetime(now),
            "modified_date": drf_datetime(now),
        }
        before = copy.deepcopy(project)
        contacts = self._apply(project, values, now)
        self._projects[project_id] = project
        self._times[project_id] = (now, now)
        return self.render(project), self._changes("CREATE", before, project, contacts, now)

    def update(
        self, project_id: int, values: dict[str, Any], *, full: bool = False
    ) -> tuple[dict[str, Any], list[Change]]:
        project = self._stored(project_id)
        self._check(values, creating=full)
        now = self._clock.now()
        before = copy.deepcopy(project)
        contacts = self._apply(project, values, now)
        self._times[project_id] = (self._times[project_id][0], now)
        return self.render(project), self._changes("UPDATE", before, project, contacts, now)

    def delete(self, project_id: int) -> list[Change]:
        project = self._stored(project_id)
        shown = self.render(project)
        del self._projects[project_id]
        del self._times[project_id]
        change = Change(
            "Project", "DELETE", project_id, project["identifier"], shown, frozenset(shown), self._clock.now()
        )
        return [change]

    def stage_for(self, *, active_stage_id: int | None, milestone: int | None, project_id: int | None = None) -> int:
        """The stage id a UI user would pick: the given one, or the first stage of the given milestone."""
        if active_stage_id is not None:
            return active_stage_id
        if project_id is not None:
            current = self._stored(project_id)["workflow"]["active_stage_id"]
            if milestone is not None and self.workflow.stage_milestones.get(current) == milestone:
                return int(current)
        stage = self.workflow.first_stage_with(milestone) if milestone is not None else None
        if stage is None:
            raise bad_request({"stage": [f"No stage of the workflow has milestone {milestone}."]})
        return stage

    # internals

    def _stored(self, project_id: int) -> dict[str, Any]:
        project = self._projects.get(project_id)
        if project is None:
            raise not_found()
        return project

    def _matches(self, project: dict[str, Any], needle: str) -> bool:
        texts = [str(project[name] or "") for name in SEARCHED_FIELDS]
        texts += [f"{c['first_name']} {c['family_name']} {c['email']}" for c in project["contacts"]]
        return any(needle in text.lower() for text in texts)

    def _sort_value(self, project: dict[str, Any], name: str) -> Any:
        if name == "id":
            return project["id"]
        created, modified = self._times[project["id"]]
        return created if name == "created_date" else modified

    def _check(self, values: dict[str, Any], *, creating: bool) -> None:
        """Refuse the whole write before anything changes, so a 400 never leaves half a write behind."""
        workflow = values.get("workflow") or {}
        workflow_id, stage_id = workflow.get("workflow_id"), workflow.get("active_stage_id")
        if workflow_id is not None and workflow_id != self.workflow.workflow_id:
            raise bad_request({"workflow": {"workflow_id": [f'Invalid pk "{workflow_id}" - object does not exist.']}})
        if stage_id is not None and not self.workflow.has_stage(stage_id):
            raise bad_request({"workflow": {"active_stage_id": [f'Invalid pk "{stage_id}" - object does not exist.']}})
        if creating and not values.get("address") and (values.get("lat") is None or values.get("lon") is None):
            raise bad_request({"non_field_errors": ["A project needs an address or both lat and lon."]})

    def _apply(self, project: dict[str, Any], values: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        for name in _PLAIN_FIELDS:
            if name in values:
                project[name] = values[name]
        for name in DATE_FIELDS:
            if name in values:
                project[name] = drf_datetime(values[name])
        stage_id = (values.get("workflow") or {}).get("active_stage_id")
        if stage_id is not None and stage_id != project["workflow"]["active_stage_id"]:
            self._move_to_stage(project, stage_id, now)
        contacts = [self._new_contact(contact, now) for contact in values.get("contacts_new") or []]
        project["contacts"].extend(contacts)
        project["title"] = _title(project)
        project["modified_date"] = drf_datetime(now)
        return contacts

    def _move_to_stage(self, project: dict[str, Any], stage_id: int, now: datetime) -> None:
        # What the UI does on a stage move: milestone follows the stage, and reaching sold/installed stamps the dates.
        milestone = self.workflow.milestone_of(stage_id)
        project["workflow"] = {"workflow_id": self.workflow.workflow_id, "active_stage_id": stage_id}
        project["stage"] = milestone
        project["is_pricing_locked"] = milestone in (LOCK_PRICING, SOLD, INSTALLED)
        stamp = drf_datetime(now)
        if milestone in (SOLD, INSTALLED):
            project["contract_date"] = project["contract_date"] or stamp
            project["sold_date"] = project["sold_date"] or stamp
        if milestone == INSTALLED:
            project["project_installed"] = project["project_installed"] or stamp
            project["installation_date"] = project["installation_date"] or stamp

    def _new_contact(self, values: dict[str, Any], now: datetime) -> dict[str, Any]:
        first, family = values.get("first_name", ""), values.get("family_name", "")
        return {
            "id": next(self._contact_ids),
            "url": None,
            "first_name": first,
            "family_name": family,
            "display": f"{first} {family}".strip(),
            "email": values.get("email", ""),
            "phone": values.get("phone", ""),
            "created_date": drf_datetime(now),
        }

    def _changes(
        self,
        event: str,
        before: dict[str, Any],
        project: dict[str, Any],
        contacts: list[dict[str, Any]],
        now: datetime,
    ) -> list[Change]:
        shown = self.render(project)
        changed = frozenset(shown) if event == "CREATE" else frozenset(k for k in project if project[k] != before[k])
        changes = [Change("Project", event, project["id"], project["identifier"], shown, changed, now)]
        for contact in contacts:
            contact_shown = next(c for c in shown["contacts"] if c["id"] == contact["id"])
            changes.append(
                Change("Contact", "CREATE", contact["id"], None, contact_shown, frozenset(contact_shown), now)
            )
        event_types = []
        if project["workflow"]["active_stage_id"] != before["workflow"]["active_stage_id"]:
            event_types.append(STAGE_CHANGED)
        event_types += [kind for name, kind in _DATE_EVENTS if before[name] is None and project[name] is not None]
        for event_type in event_types:
            changes.append(self._event_change(event_type, before, project, now))
        return changes

    def _event_change(self, event_type: int, before: dict[str, Any], project: dict[str, Any], now: datetime) -> Change:
        event_id = next(self._event_ids)
        notes = EVENT_TYPES[event_type]
        if event_type == STAGE_CHANGED:
            old, new = before["workflow"]["active_stage_id"], project["workflow"]["active_stage_id"]
            notes = f"Stage changed from {old} to {new}"
        fields = {
            "id": event_id,
            "event_type_id": event_type,
            "event_type": EVENT_TYPES[event_type],
            "project": self.url(project["id"]),
            "project_id": project["id"],
            "workflow": dict(project["workflow"]),
            "notes": notes,
            "created_date": drf_datetime(now),
        }
        return Change("Event", "CREATE", event_id, project["identifier"], fields, frozenset(fields), now)


def page_of(items: list[Any], page: int, limit: int) -> list[Any]:
    """One page of a list, pages counted from 1; past the end is an empty page, never an error."""
    start = (page - 1) * limit
    return items[start : start + limit]
