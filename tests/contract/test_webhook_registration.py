"""Registering webhooks: required fields, the headers-as-a-JSON-string quirk, default and null field lists."""

from __future__ import annotations

import json

from tests.contract.support import SECRET_HEADER, WEBHOOKS, Api

ENDPOINT = "http://127.0.0.1:9/opensolar/webhook/"


def _hook_path(hook_id: int) -> str:
    return f"{WEBHOOKS}{hook_id}/"


def test_endpoint_enabled_and_debug_are_required_on_create(api: Api) -> None:
    # when
    response = api.post(WEBHOOKS, json={"trigger_fields": ["project.stage"]})
    # then
    assert response.status_code == 400
    assert response.json() == {
        "endpoint": ["This field is required."],
        "enabled": ["This field is required."],
        "debug": ["This field is required."],
    }


def test_headers_given_as_an_object_instead_of_a_string_are_refused(api: Api) -> None:
    # when
    response = api.post(
        WEBHOOKS, json={"endpoint": ENDPOINT, "enabled": True, "debug": False, "headers": {SECRET_HEADER: "s"}}
    )
    # then
    assert response.status_code == 400
    assert response.json() == {"headers": ["Not a valid string."]}


def test_a_headers_string_that_is_not_a_json_object_is_refused(api: Api) -> None:
    # when
    response = api.post(WEBHOOKS, json={"endpoint": ENDPOINT, "enabled": True, "debug": False, "headers": "X: y"})
    # then
    assert response.status_code == 400
    assert list(response.json()) == ["headers"]


def test_an_invalid_field_path_is_refused_by_its_position(api: Api) -> None:
    # when
    body = {"endpoint": ENDPOINT, "enabled": True, "debug": False, "trigger_fields": ["project.stage", "stage"]}
    response = api.post(WEBHOOKS, json=body)
    # then
    assert response.status_code == 400
    assert list(response.json()["trigger_fields"]) == ["1"]


def test_blank_field_lists_take_opensolars_long_defaults_on_create(api: Api) -> None:
    # when
    created = api.post(
        WEBHOOKS, json={"endpoint": ENDPOINT, "enabled": True, "debug": False, "trigger_fields": []}
    ).json()
    # then
    for fields in (created["trigger_fields"], created["payload_fields"]):
        assert {
            "contact.*",
            "event.*",
            "project.address",
            "project.identifier",
            "project.stage",
            "project.system_sold",
            "project.sold_date",
            "project.installation_date",
            "project.system_installed",
        } <= set(fields)
        assert "project.workflow" not in fields


def test_blank_field_lists_become_null_on_an_existing_webhook(api: Api) -> None:
    # given
    body = {"endpoint": ENDPOINT, "enabled": True, "debug": False, "trigger_fields": ["project.stage"]}
    hook = api.post(WEBHOOKS, json=body).json()
    # when
    updated = api.patch(_hook_path(hook["id"]), json={"trigger_fields": [], "payload_fields": None})
    # then
    assert updated.status_code == 200
    assert updated.json()["trigger_fields"] is None
    assert updated.json()["payload_fields"] is None


def test_a_webhook_is_listed_as_a_bare_array_read_disabled_and_deleted(api: Api) -> None:
    # given
    headers = json.dumps({SECRET_HEADER: "s3cret"})
    body = {"endpoint": ENDPOINT, "enabled": True, "debug": False, "headers": headers}
    hook = api.post(WEBHOOKS, json=body).json()
    # when
    listed = api.get(WEBHOOKS).json()
    disabled = api.patch(_hook_path(hook["id"]), json={"enabled": False}).json()
    deleted = api.delete(_hook_path(hook["id"]))
    # then
    assert [item["id"] for item in listed] == [hook["id"]]
    assert listed[0]["headers"] == headers
    assert disabled["enabled"] is False
    assert deleted.status_code == 204
    assert api.get(_hook_path(hook["id"])).status_code == 404
