"""Webhook delivery: headers, body, trigger filtering, Event deliveries, retries, process logs, duplicates, order."""

from __future__ import annotations

import csv
import io

from local.opensolar_fake import FakeOpenSolar
from tests.contract.support import (
    PROCESS_LOGS,
    SECRET_HEADER,
    WEBHOOKS,
    Api,
    WebhookReceiver,
    project_path,
    register_webhook,
)


def _flush(api: Api) -> None:
    assert api.control("deliveries/flush", {"timeout_s": 5})["drained"] is True


def test_a_subscribed_change_is_posted_as_json_with_the_registered_custom_header(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    register_webhook(api, receiver.url)
    project = fake.create_project(address="1 Main Rd", identifier="ir_1")
    # when
    fake.set_stage(project["id"], stage=2)
    _flush(api)
    # then
    assert len(receiver.received) == 2  # the CREATE and the stage move
    delivery = receiver.received[-1]
    assert delivery.path == "/opensolar/webhook/"
    assert delivery.headers[SECRET_HEADER] == "s3cret"
    assert delivery.headers["Content-Type"] == "application/json"


def test_the_body_has_a_string_timestamp_an_event_id_and_only_the_registered_payload_fields(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    payload = ["project.id", "project.identifier", "project.stage", "project.workflow"]
    register_webhook(api, receiver.url, payload_fields=payload)
    project = fake.create_project(address="1 Main Rd", identifier="ir_01H")
    # when
    api.control(f"projects/{project['id']}/stage", {"active_stage_id": 7})
    _flush(api)
    # then
    body = receiver.bodies()[-1]
    assert list(body) == ["timestamp", "model", "model_id", "identifier", "event", "event_id", "fields"]
    assert isinstance(body["timestamp"], str)
    assert body["timestamp"].isdigit()
    assert (body["model"], body["model_id"], body["identifier"], body["event"]) == (
        "Project",
        project["id"],
        "ir_01H",
        "UPDATE",
    )
    assert isinstance(body["event_id"], int)
    assert body["fields"] == {
        "id": project["id"],
        "identifier": "ir_01H",
        "workflow": {"workflow_id": 1, "active_stage_id": 7},
        "stage": 2,
    }


def test_an_address_edit_is_not_delivered_when_only_stage_fields_are_subscribed(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, receiver.url)
    # when
    api.control(f"projects/{project['id']}", {"address": "2 Side St", "locality": "Bulawayo"})
    _flush(api)
    # then
    assert receiver.received == []


def test_a_stage_move_to_sold_delivers_stage_contract_and_sold_events(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    project = fake.create_project(address="1 Main Rd", identifier="ir_1")
    register_webhook(api, receiver.url, trigger_fields=["event.*"], payload_fields=["event.*"])
    # when
    fake.set_stage(project["id"], stage=2)
    fake.flush_deliveries(timeout=5)
    # then
    bodies = receiver.bodies()
    assert {body["model"] for body in bodies} == {"Event"}
    assert sorted(body["fields"]["event_type_id"] for body in bodies) == [56, 63, 103]
    assert all(body["fields"]["project_id"] == project["id"] for body in bodies)


def test_reaching_installed_delivers_the_installed_event_and_stamps_the_date(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given a sold project
    project = fake.create_project(address="1 Main Rd")
    fake.set_stage(project["id"], stage=2)
    register_webhook(api, receiver.url, trigger_fields=["event.event_type_id"], payload_fields=["event.*"])
    # when
    installed = fake.set_stage(project["id"], stage=3)
    fake.flush_deliveries(timeout=5)
    # then
    assert installed["project_installed"] is not None
    assert sorted(body["fields"]["event_type_id"] for body in receiver.bodies()) == [56, 104]


def test_our_own_api_writes_come_back_as_webhooks(api: Api, receiver: WebhookReceiver) -> None:
    # given
    register_webhook(api, receiver.url)
    project = api.create_project(identifier="ir_1")
    # when
    api.patch(project_path(project["id"]), json={"workflow": {"workflow_id": 1, "active_stage_id": 10}})
    _flush(api)
    # then
    assert [body["event"] for body in receiver.bodies()] == ["CREATE", "UPDATE"]
    assert receiver.bodies()[-1]["fields"]["stage"] == 3


def test_new_contacts_and_deletes_are_delivered_with_their_models(api: Api, receiver: WebhookReceiver) -> None:
    # given
    register_webhook(api, receiver.url, trigger_fields=["project.*", "contact.*"], payload_fields=["contact.email"])
    # when
    project = api.create_project(contacts_new=[{"first_name": "Ann", "email": "ann@example.com"}])
    api.delete(project_path(project["id"]))
    _flush(api)
    # then
    assert [(body["model"], body["event"]) for body in receiver.bodies()] == [
        ("Project", "CREATE"),
        ("Contact", "CREATE"),
        ("Project", "DELETE"),
    ]
    assert receiver.bodies()[1]["fields"] == {"email": "ann@example.com"}


def test_event_ids_increase_from_one_change_to_the_next(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    register_webhook(api, receiver.url)
    project = fake.create_project(address="1 Main Rd")
    # when
    for stage_id in (2, 5, 7):
        fake.set_stage(project["id"], active_stage_id=stage_id)
    fake.flush_deliveries(timeout=5)
    # then
    event_ids = [body["event_id"] for body in receiver.bodies()]
    assert event_ids == sorted(event_ids)
    assert len(set(event_ids)) == len(event_ids)


def test_a_disabled_webhook_receives_nothing(api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver) -> None:
    # given
    hook = register_webhook(api, receiver.url)
    api.patch(f"{WEBHOOKS}{hook['id']}/", json={"enabled": False})
    project = fake.create_project(address="1 Main Rd")
    # when
    fake.set_stage(project["id"], stage=2)
    _flush(api)
    # then
    assert receiver.received == []


def test_a_failed_delivery_is_logged_as_retrying_then_redelivered_with_the_same_event_id(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given a receiver that fails once and retries far enough away to be seen
    api.control("deliveries/config", {"backoff_s": 60})
    receiver.answer_next_with(500)
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, receiver.url)
    fake.set_stage(project["id"], stage=2)
    _flush(api)
    # when
    logged = api.get(PROCESS_LOGS).json()
    logged_csv = list(csv.DictReader(io.StringIO(api.get(PROCESS_LOGS, params={"format": "csv"}).text)))
    assert api.control("deliveries/retry") == {"due_now": 1}
    _flush(api)
    # then
    assert len(logged) == 1
    assert logged[0]["status"] == "retrying"
    assert logged[0]["number_of_attempts"] == 1
    assert logged[0]["response_status_code"] == 500
    assert logged[0]["next_attempt_at"] is not None
    assert logged_csv[0]["status"] == "retrying"
    assert logged_csv[0]["number_of_attempts"] == "1"
    assert logged_csv[0]["response_status_code"] == "500"
    first, second = receiver.bodies()
    assert first == second
    after = api.get(PROCESS_LOGS).json()[0]
    assert (after["status"], after["number_of_attempts"], after["next_attempt_at"]) == ("success", 2, None)


def test_a_delivery_that_keeps_failing_gives_up_after_the_last_attempt(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given a receiver that always fails (the fixture allows 3 attempts, 50 ms apart then 100 ms)
    receiver.answer_next_with(503, 503, 503, 503)
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, receiver.url)
    # when
    fake.set_stage(project["id"], stage=2)
    fake.flush_deliveries(timeout=5)
    # then
    (delivery,) = fake.deliveries()
    assert delivery["status"] == "failed"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [503, 503, 503]
    assert len(receiver.received) == 3


def test_an_unreachable_endpoint_is_recorded_as_a_connection_error(api: Api, fake: FakeOpenSolar) -> None:
    # given an endpoint nobody listens on
    closed = WebhookReceiver()
    endpoint = closed.url
    closed.close()
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, endpoint)
    # when
    fake.set_stage(project["id"], stage=2)
    fake.flush_deliveries(timeout=5)
    # then
    (delivery,) = api.get("/_control/deliveries").json()
    assert delivery["status"] == "failed"
    assert delivery["response_status_code"] is None
    assert "ConnectionError" in delivery["error"]


def test_duplicate_injection_delivers_the_same_event_twice(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, receiver.url)
    api.control("deliveries/inject", {"duplicate_next": 1})
    # when
    fake.set_stage(project["id"], stage=2)
    _flush(api)
    # then
    first, second = receiver.bodies()
    assert first == second
    assert [delivery["duplicate_of"] is not None for delivery in fake.deliveries()] == [False, True]


def test_out_of_order_injection_delivers_an_older_event_after_a_newer_one(
    api: Api, fake: FakeOpenSolar, receiver: WebhookReceiver
) -> None:
    # given
    project = fake.create_project(address="1 Main Rd")
    register_webhook(api, receiver.url)
    api.control("deliveries/inject", {"hold_next": 1})
    # when
    fake.set_stage(project["id"], active_stage_id=5)
    fake.set_stage(project["id"], active_stage_id=7)
    _flush(api)
    # then
    newer, older = receiver.bodies()
    assert newer["event_id"] > older["event_id"]
    assert (newer["fields"]["workflow"]["active_stage_id"], older["fields"]["workflow"]["active_stage_id"]) == (7, 5)
