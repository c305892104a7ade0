"""Project writes: the trailing slash rule, the create round trip, DRF 400 shapes and stage consistency."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.contract.support import PROJECTS, Api, project_path

CONTACT = {"first_name": "John", "family_name": "Doe", "email": "john@example.com", "phone": "+263771234567"}


def test_a_created_project_round_trips_its_identifier_and_contacts(api: Api) -> None:
    # when
    created = api.create_project(
        identifier="ir_01HTEST", lead_source="CRM", contacts_new=[CONTACT], lat=-17.8, lon=31.0
    )
    fetched = api.get(project_path(created["id"])).json()
    # then
    assert isinstance(created["id"], int)
    assert fetched["identifier"] == "ir_01HTEST"
    assert fetched["title"] == "1 Main Rd, Harare"
    assert fetched["lead_source"] == "CRM"
    assert (fetched["lat"], fetched["lon"]) == (-17.8, 31.0)
    contact = fetched["contacts"][0]
    assert {key: contact[key] for key in CONTACT} == CONTACT
    assert isinstance(contact["id"], int)
    assert "contacts_new" not in fetched


def test_a_project_carries_status_dates_and_fields_clients_must_tolerate(api: Api) -> None:
    # when
    project = api.create_project()
    # then
    assert project["workflow"] == {"workflow_id": 1, "active_stage_id": 1}
    assert project["stage"] == 0
    for date in ("contract_date", "sold_date", "installation_date", "project_installed"):
        assert project[date] is None
    assert project["created_date"].endswith("Z")
    assert project["modified_date"] == project["created_date"]
    assert {"org", "url", "systems", "priority", "tags", "system_sold"} <= set(project)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_without_the_trailing_slash_gets_a_301_html_page_and_changes_nothing(api: Api, method: str) -> None:
    # given
    project = api.create_project(notes="before")
    path = PROJECTS if method == "POST" else project_path(project["id"])
    # when
    response = api.request(
        method, path.rstrip("/"), json={"address": "2 Side St", "notes": "after"}, allow_redirects=False
    )
    # then
    assert response.status_code == 301
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Location"].endswith(path)
    after = api.get(PROJECTS).json()
    assert [(item["id"], item["notes"]) for item in after] == [(project["id"], "before")]


def test_a_post_without_the_slash_followed_by_requests_lands_on_the_list_and_creates_nothing(api: Api) -> None:
    # when requests follows the 301 the way browsers do: as a GET
    response = api.post(PROJECTS.rstrip("/"), json={"address": "1 Main Rd"})
    # then
    assert response.status_code == 200
    assert response.json() == []
    assert api.get(PROJECTS).json() == []


def test_gets_work_with_or_without_the_trailing_slash(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    with_slash = api.get(project_path(project["id"]))
    without_slash = api.get(project_path(project["id"]).rstrip("/"))
    # then
    assert with_slash.status_code == without_slash.status_code == 200
    assert with_slash.json() == without_slash.json()


def test_wrong_types_are_a_400_with_drf_field_errors(api: Api) -> None:
    # given
    project = api.create_project()
    body = {
        "lat": "north",
        "is_residential": None,
        "contacts_new": [CONTACT, {"email": "not-an-email"}],
        "workflow": {"active_stage_id": "seven"},
        "contract_date": "last tuesday",
    }
    # when
    response = api.patch(project_path(project["id"]), json=body)
    # then
    assert response.status_code == 400
    assert response.json() == {
        "lat": ["A valid number is required."],
        "is_residential": ["This field may not be null."],
        "contacts_new": [{}, {"email": ["Enter a valid email address."]}],
        "workflow": {"active_stage_id": ["A valid integer is required."]},
        "contract_date": [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
    }


def test_a_rejected_write_changes_nothing(api: Api) -> None:
    # given
    project = api.create_project(notes="before")
    # when
    response = api.patch(project_path(project["id"]), json={"notes": "after", "lat": "north"})
    # then
    assert response.status_code == 400
    assert api.get(project_path(project["id"])).json()["notes"] == "before"


def test_a_body_that_is_not_an_object_is_a_non_field_error(api: Api) -> None:
    # when
    response = api.post(PROJECTS, json=[{"address": "1 Main Rd"}])
    # then
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_a_json_body_sent_as_text_plain_is_a_415(api: Api) -> None:
    # when
    response = api.post(PROJECTS, data=json.dumps({"address": "1 Main Rd"}), headers={"Content-Type": "text/plain"})
    # then
    assert response.status_code == 415


def test_a_project_without_address_or_coordinates_is_refused(api: Api) -> None:
    # when
    response = api.post(PROJECTS, json={"identifier": "ir_1"})
    # then
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_patching_the_workflow_moves_the_milestone_and_stamps_the_sold_dates(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    response = api.patch(project_path(project["id"]), json={"workflow": {"workflow_id": 1, "active_stage_id": 7}})
    # then
    moved = response.json()
    assert response.status_code == 200
    assert moved["workflow"] == {"workflow_id": 1, "active_stage_id": 7}
    assert moved["stage"] == 2
    assert moved["contract_date"] is not None
    assert moved["sold_date"] is not None
    assert moved["project_installed"] is None
    assert datetime.fromisoformat(moved["modified_date"]) > datetime.fromisoformat(project["modified_date"])


def test_the_milestone_follows_a_configured_stage_map(api: Api) -> None:
    # given an org whose workflow 9 has its own stage ids
    api.control("workflow", {"workflow_id": 9, "stage_milestones": {"40": 0, "41": 2, "42": 3}})
    project = api.create_project()
    # when
    response = api.patch(project_path(project["id"]), json={"workflow": {"workflow_id": 9, "active_stage_id": 42}})
    # then
    assert project["workflow"] == {"workflow_id": 9, "active_stage_id": 40}
    assert response.json()["stage"] == 3
    assert response.json()["project_installed"] is not None


def test_an_unknown_stage_id_is_a_400_naming_the_nested_field(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    response = api.patch(project_path(project["id"]), json={"workflow": {"workflow_id": 1, "active_stage_id": 999}})
    # then
    assert response.status_code == 400
    assert list(response.json()["workflow"]) == ["active_stage_id"]


def test_read_only_fields_in_a_write_are_silently_ignored(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    response = api.patch(project_path(project["id"]), json={"stage": 3, "id": 1, "title": "Mine"})
    # then
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["id"], response.json()["title"]) == (
        0,
        project["id"],
        "1 Main Rd, Harare",
    )


def test_a_put_replaces_what_it_names_and_needs_an_address(api: Api) -> None:
    # given
    project = api.create_project(notes="before")
    # when
    without_address = api.put(project_path(project["id"]), json={"notes": "after"})
    with_address = api.put(project_path(project["id"]), json={"address": "2 Side St", "notes": "after"})
    # then
    assert without_address.status_code == 400
    assert with_address.status_code == 200
    assert (with_address.json()["address"], with_address.json()["notes"]) == ("2 Side St", "after")


def test_a_deleted_project_is_a_404_json_not_found(api: Api) -> None:
    # given
    project = api.create_project()
    # when
    deleted = api.delete(project_path(project["id"]))
    fetched = api.get(project_path(project["id"]))
    # then
    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert fetched.json() == {"detail": "Not found."}
