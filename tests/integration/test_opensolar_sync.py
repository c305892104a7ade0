"""`opensolar_sync`: every installation request becomes exactly one OpenSolar project, under throttling, outages,
lost answers and bad messages (issue: OpenSolar out). Messages go through the template's SyncQueue on moto; the
fake OpenSolar answers over HTTP as the real API does, quirks included."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from solar_core.opensolar import links
from solar_core.opensolar.links import SYNCED
from tests.support.opensolar_stack import SyncStack
from tests.support.ssr_stack import EVENTS, invoke

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

WRITE = "POST /api/orgs/{org_id}/projects/"
PATCH = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
LIST = "GET /api/orgs/{org_id}/projects/"
LOGIN = "POST /api-token-auth/"


def _sqs_event(name: str, body: str | None = None) -> dict[str, object]:
    event = json.loads((EVENTS / name).read_text())
    if body is not None:
        event["Records"][0]["body"] = body
    return event


# ---------------------------------------------------------------- the normal case


def test_a_new_installation_request_costs_one_opensolar_write_and_no_read(fresh: SyncStack) -> None:
    # given an installation request whose sync the paid-order workflow queued, and a fresh fake
    request_id = fresh.installation_request()
    # when the message is delivered
    result = fresh.deliver()
    # then it is acknowledged, and OpenSolar saw one create and nothing else (a login only if this container had no
    # token yet: tokens outlive the fake's reset between tests, as they outlive invocations in Lambda)
    assert result == {"batchItemFailures": []}
    counts = fresh.fake.call_counts()
    assert counts.pop(LOGIN, 0) <= 1
    assert counts == {WRITE: 1}
    # and the project carries our id as its identifier, the customer as a contact and the site's address
    (project,) = fresh.projects_named(request_id)
    (contact,) = project["contacts"]
    assert (contact["first_name"], contact["family_name"], contact["email"]) == ("John", "Doe", "john@example.com")
    assert (project["address"], project["locality"], project["country_iso2"]) == ("1 Main Rd, Avondale", "Harare", "ZW")
    assert project["lead_source"]
    # and the link is synced with the project's id, one successful log entry
    link = fresh.link(request_id)
    assert (link["sync_status"], link["opensolar_project_id"]) == ("synced", str(project["id"]))
    assert link["last_synced_at"]
    assert "last_error" not in link
    assert "lease_owner" not in link
    (log,) = fresh.sync_logs(request_id)
    assert (log["operation"], log["success"], int(log["http_status"])) == ("create", True, 201)
    assert fresh.in_queue() == 0


def test_a_replayed_message_for_a_synced_request_calls_opensolar_no_more(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.deliver()
    calls = sum(fresh.fake.call_counts().values())
    # when the same sync is asked again (SQS delivers at least once)
    fresh.send({"installation_request_id": request_id, "reason": "created"})
    assert fresh.deliver() == {"batchItemFailures": []}
    # then nothing more reached OpenSolar and there is still one project
    assert sum(fresh.fake.call_counts().values()) == calls
    assert len(fresh.projects_named(request_id)) == 1


def test_a_forced_sync_of_a_synced_request_updates_the_project_without_a_second_contact(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.deliver()
    fresh.send({"installation_request_id": request_id, "reason": "manual", "force": True})
    assert fresh.deliver() == {"batchItemFailures": []}
    assert fresh.fake.call_counts()[PATCH] == 1
    (project,) = fresh.projects_named(request_id)
    assert len(project["contacts"]) == 1
    assert [log["operation"] for log in sorted(fresh.sync_logs(request_id), key=lambda log: log["at"])] == [
        "create",
        "update",
    ]


# ---------------------------------------------------------------- lost answers and duplicates


@pytest.mark.parametrize("quirk", [{}, {"ignore_filters": True}, {"ignore_filters": True, "invert_ordering": True}])
def test_a_create_whose_answer_was_lost_is_found_by_its_identifier_not_created_again(
    fresh: SyncStack, quirk: dict[str, bool]
) -> None:
    # given other projects in the org, and OpenSolar maybe ignoring ?identifier= and reading the ordering sign
    # the other way round (opensolar-api.md: both unverified)
    for n in range(3):
        fresh.fake.create_project(address=f"{n} Other Rd", identifier=f"IR-OTHER{n}")
    fresh.fake.set_quirks(**quirk)
    request_id = fresh.installation_request()
    # and the create lands, but the connection drops before the answer
    fresh.fake.set_faults(rate_drop=1.0, routes="writes", after_apply=True)
    result = fresh.deliver()
    assert result is not None
    assert len(result["batchItemFailures"]) == 1
    assert len(fresh.projects_named(request_id)) == 1
    assert fresh.link(request_id)["sync_status"] == "pending"
    # when OpenSolar recovers and the message comes back
    fresh.fake.clear_faults()
    assert fresh.deliver(wait_s=10) == {"batchItemFailures": []}
    # then the project found by its identifier is linked: one create in all, no duplicate
    (project,) = fresh.projects_named(request_id)
    link = fresh.link(request_id)
    assert (link["sync_status"], link["opensolar_project_id"]) == ("synced", str(project["id"]))
    assert fresh.fake.call_counts()[WRITE] == 1
    operations = [log["operation"] for log in sorted(fresh.sync_logs(request_id), key=lambda log: log["at"])]
    assert operations == ["create", "lookup"]


def test_a_create_that_timed_out_before_landing_is_created_once_it_is_clear_it_did_not(fresh: SyncStack) -> None:
    # given OpenSolar so slow that our 1 s timeout gives up on the create, which is then refused (never saved)
    request_id = fresh.installation_request()
    fresh.fake.set_faults(rate_slow=1.0, slow_ms=1500, rate_500=1.0, routes="writes")
    fresh.deliver()
    # when OpenSolar is well again and the message comes back
    fresh.fake.clear_faults()
    assert fresh.deliver(wait_s=10) == {"batchItemFailures": []}
    # then the lookup found nothing, so the project was created: exactly one
    assert len(fresh.projects_named(request_id)) == 1
    assert fresh.link(request_id)["sync_status"] == SYNCED


def test_two_deliveries_of_one_request_at_once_do_not_both_write(fresh: SyncStack) -> None:
    # given a sync holding the link's lease (a first delivery still running)
    request_id = fresh.installation_request()
    lease = links.take_lease(request_id, duration=timedelta(seconds=30), creating=True)
    # when a second delivery of the request arrives meanwhile
    result = fresh.deliver()
    # then it is left for later, and nothing reached OpenSolar
    assert result is not None
    assert len(result["batchItemFailures"]) == 1
    assert WRITE not in fresh.fake.call_counts()
    links.release(lease)


def _last_receive_of(stack: SyncStack, request_id: str) -> dict[str, object]:
    """AWS's sample SQS event as the queue's 5th (last) receive of a sync request for `request_id`."""
    event = _sqs_event("opensolar_sync_created.json", json.dumps({"installation_request_id": request_id}))
    record = event["Records"][0]  # type: ignore[index]
    record["eventSourceARN"] = stack.queue_arn
    record["attributes"]["ApproximateReceiveCount"] = "5"
    return event


def _delayed(stack: SyncStack) -> int:
    name = "ApproximateNumberOfMessagesDelayed"
    return int(stack.sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=[name])["Attributes"][name])


def test_a_wait_asked_on_the_last_receive_sends_a_fresh_copy_instead_of_letting_it_park(fresh: SyncStack) -> None:
    # given another sync holding the link, and this delivery the queue's last before the DLQ
    request_id = fresh.installation_request(queue=False)
    lease = links.take_lease(request_id, duration=timedelta(seconds=20), creating=True)
    try:
        # when it is handled
        result = invoke("opensolar_sync", _last_receive_of(fresh, request_id))
    finally:
        links.release(lease)
    # then it is acknowledged, and a fresh copy (its receives counted from zero) waits on the queue
    assert result == {"batchItemFailures": []}
    assert _delayed(fresh) == 1
    assert fresh.link(request_id)["sync_status"] == "pending"


def test_throttling_is_never_a_failure_even_on_the_last_receive(fresh: SyncStack) -> None:
    request_id = fresh.installation_request(queue=False)
    fresh.fake.set_faults(rate_429=1.0, routes="writes", retry_after_s=30)
    result = invoke("opensolar_sync", _last_receive_of(fresh, request_id))
    assert result == {"batchItemFailures": []}
    assert _delayed(fresh) == 1
    link = fresh.link(request_id)
    assert link["sync_status"] == "pending"
    assert [log["outcome"] for log in fresh.sync_logs(request_id)] == ["throttled"]


# ---------------------------------------------------------------- throttling and outages


def test_a_429_brings_the_message_back_after_retry_after_and_is_not_a_failure(fresh: SyncStack) -> None:
    # given OpenSolar throttling writes with a Retry-After of 2 s
    request_id = fresh.installation_request()
    before = fresh.counters()
    fresh.fake.set_faults(rate_429=1.0, routes="writes", retry_after_s=2)
    # when the message is delivered
    result = fresh.deliver()
    # then it stays in the queue, invisible until the Retry-After has passed
    assert result is not None
    assert len(result["batchItemFailures"]) == 1
    assert fresh.deliver() is None
    # and the attempt is logged as throttled, counted as such, not as a failure; the link is still pending
    (log,) = fresh.sync_logs(request_id)
    assert (log["outcome"], int(log["http_status"]), log["success"]) == ("throttled", 429, False)
    after = fresh.counters()
    assert after.get("attempts_throttled", 0) == before.get("attempts_throttled", 0) + 1
    assert after.get("attempts_failed", 0) == before.get("attempts_failed", 0)
    assert fresh.link(request_id)["sync_status"] == "pending"
    # when OpenSolar accepts writes again, the message comes back and syncs
    fresh.fake.clear_faults()
    started = time.monotonic()
    assert fresh.deliver(wait_s=10) == {"batchItemFailures": []}
    assert time.monotonic() - started >= 1.0
    assert fresh.link(request_id)["sync_status"] == SYNCED


def test_5xx_answers_are_retried_by_the_queue_then_marked_failed_with_the_last_reason_not_parked(
    fresh: SyncStack,
) -> None:
    # given OpenSolar failing every write with its HTML error page, and short backoffs
    fresh.configure(retry_backoff_s=0.0, api_timeout_s=0.5)
    request_id = fresh.installation_request()
    fresh.fake.set_faults(rate_500=1.0, routes="writes")
    # when the queue delivers the message until its receives are spent
    fresh.drain(timeout_s=60)
    # then the link is failed with OpenSolar's last answer, and the message is not in the DLQ
    link = fresh.link(request_id)
    assert link["sync_status"] == "failed"
    assert "OpenSolar failed (500)" in link["last_error"]
    assert "Server Error (500)" in link["last_error"]
    assert fresh.in_dlq() == 0
    # and every delivery was one attempt at OpenSolar: 5 creates, the later ones after a lookup
    assert fresh.fake.call_counts()[WRITE] == 5
    outcomes = [log["outcome"] for log in sorted(fresh.sync_logs(request_id), key=lambda log: log["at"])]
    assert outcomes.count("retrying") == 4
    assert outcomes[-1] == "failed"


def test_a_permanent_400_fails_the_sync_with_opensolars_message_and_no_retry(fresh: SyncStack) -> None:
    # given a customer with no address at all: OpenSolar needs one (or lat/lon)
    empty = {"street": "", "suburb": "", "city": "", "province": "", "country": "", "postal_code": ""}
    request_id = fresh.installation_request(address=empty)
    # when the message is delivered
    assert fresh.deliver() == {"batchItemFailures": []}
    # then the link is failed with OpenSolar's own words, the message is gone, and OpenSolar saw one write
    link = fresh.link(request_id)
    assert link["sync_status"] == "failed"
    assert "A project needs an address or both lat and lon." in link["last_error"]
    assert fresh.in_queue() == 0
    assert fresh.fake.call_counts()[WRITE] == 1


# ---------------------------------------------------------------- credentials


def test_an_expired_token_is_replaced_once_and_the_sync_goes_through(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.deliver()
    fresh.fake.expire_tokens()
    logins = fresh.fake.call_counts().get(LOGIN, 0)
    fresh.send({"installation_request_id": request_id, "reason": "manual", "force": True})
    assert fresh.deliver() == {"batchItemFailures": []}
    counts = fresh.fake.call_counts()
    assert counts[LOGIN] == logins + 1
    assert counts[PATCH] == 2  # refused with 401, then sent again with the new token
    assert fresh.link(request_id)["sync_status"] == SYNCED


def test_wrong_credentials_fail_the_sync_with_a_clear_reason_and_no_loop(fresh: SyncStack) -> None:
    # given our token expired and the secret now holding a password OpenSolar does not know
    request_id = fresh.installation_request()
    secrets = boto3.client("secretsmanager")
    good = secrets.get_secret_value(SecretId=fresh.secret_arn)["SecretString"]
    wrong = {**json.loads(good), "password": "not-the-password"}
    secrets.put_secret_value(SecretId=fresh.secret_arn, SecretString=json.dumps(wrong))
    fresh.fake.expire_tokens()
    try:
        # when the message is delivered
        assert fresh.deliver() == {"batchItemFailures": []}
    finally:
        secrets.put_secret_value(SecretId=fresh.secret_arn, SecretString=good)
    # then the link is failed with the reason: the expired token's write was refused (401), the one new login
    # (with the secret read again) too, and nothing was tried again
    link = fresh.link(request_id)
    assert link["sync_status"] == "failed"
    assert "refused the API user's credentials" in link["last_error"]
    statuses = fresh.fake.stats()["statuses"]
    assert statuses[WRITE] == {"401": 1}
    assert statuses[LOGIN] == {"400": 1}
    assert fresh.projects_named(request_id) == []


def test_an_unpaid_plan_is_a_configuration_failure_not_retried(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.fake.set_plan(False)
    assert fresh.deliver() == {"batchItemFailures": []}
    link = fresh.link(request_id)
    assert link["sync_status"] == "failed"
    assert "403" in link["last_error"]
    assert "paid plan" in link["last_error"]


# ---------------------------------------------------------------- the switches


def test_nothing_is_sent_while_the_integration_is_inactive(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.configure(is_active=False)
    assert fresh.deliver() == {"batchItemFailures": []}
    assert fresh.fake.call_counts() == {}
    assert fresh.link(request_id)["sync_status"] == "pending"


def test_auto_sync_off_holds_automatic_syncs_but_not_manual_ones(fresh: SyncStack) -> None:
    request_id = fresh.installation_request()
    fresh.configure(auto_sync_enabled=False)
    # the workflow's request waits
    assert fresh.deliver() == {"batchItemFailures": []}
    assert fresh.fake.call_counts() == {}
    # a manual one is carried out
    fresh.send({"installation_request_id": request_id, "reason": "manual"})
    assert fresh.deliver() == {"batchItemFailures": []}
    assert len(fresh.projects_named(request_id)) == 1


# ---------------------------------------------------------------- bad messages


@pytest.mark.parametrize(
    "body",
    [
        None,  # AWS's own sample body (sam local generate-event sqs receive-message): "Hello from SQS!"
        "{not json",
        json.dumps({"reason": "created"}),
        json.dumps({"installation_request_id": "IR-../../etc", "reason": "created"}),
        json.dumps({"installation_request_id": "IR-NOSUCH01", "reason": "created"}),
    ],
)
def test_a_message_that_can_never_succeed_is_parked_with_its_reason_and_acknowledged_at_once(
    fresh: SyncStack, body: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    # given AWS's sample SQS event carrying the body
    event = _sqs_event("opensolar_sync_not_a_sync_request.json", body)
    sent = event["Records"][0]["body"]
    # when the handler gets it
    with caplog.at_level(logging.ERROR):
        result = invoke("opensolar_sync", event)
    # then it is acknowledged (not retried), the rejection is logged with its reason, and the message is parked in
    # the SyncDLQ as it came, with the reason beside it
    assert result == {"batchItemFailures": []}
    assert any(record.getMessage() == "sync request rejected" for record in caplog.records)
    assert fresh.fake.call_counts() == {}
    (parked,) = fresh.parked()
    assert parked["body"] == sent
    assert parked["source"] == "SyncQueue"
    assert parked["reason"]
    assert ("not a sync request" in parked["reason"]) != ("IR-NOSUCH01" in sent)


def test_the_sample_event_shape_is_handled_end_to_end(fresh: SyncStack) -> None:
    # given events/opensolar_sync_created.json (AWS's SQS shape) naming a real installation request
    request_id = fresh.installation_request(queue=False)
    body = json.dumps({"installation_request_id": request_id, "reason": "created"})
    event = _sqs_event("opensolar_sync_created.json", body)
    event["Records"][0]["eventSourceARN"] = fresh.queue_arn
    # when it is invoked directly
    result = invoke("opensolar_sync", event)
    # then the project exists and the message would be deleted
    assert result == {"batchItemFailures": []}
    assert len(fresh.projects_named(request_id)) == 1


def test_the_handler_reads_the_max_receives_from_the_same_number_as_the_queue(opensolar: SyncStack) -> None:
    from tests.support.opensolar_stack import TEMPLATE

    sync = TEMPLATE["Resources"]["OpenSolarSyncFunction"]["Properties"]
    queue = TEMPLATE["Resources"]["SyncQueue"]["Properties"]
    assert int(sync["Environment"]["Variables"]["SYNC_MAX_RECEIVES"]) == queue["RedrivePolicy"]["maxReceiveCount"]
    assert Path(EVENTS / "opensolar_sync_created.json").exists()
