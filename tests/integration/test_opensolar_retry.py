"""The hourly retry, and the whole out-sync under OpenSolar's faults: nothing lost, nothing created twice."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from solar_core.opensolar import links
from solar_core.opensolar.links import FAILED, PENDING
from solar_core.opensolar.tables import LinkItem
from tests.support.opensolar_stack import SyncStack
from tests.support.ssr_stack import EVENTS, invoke

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

WRITE = "POST /api/orgs/{org_id}/projects/"


def hourly_run() -> dict[str, Any]:
    """What the EventBridge schedule does: invoke retry_failed with a Scheduled Event (AWS's sample shape)."""
    result: dict[str, Any] = invoke("retry_failed", json.loads((EVENTS / "retry_failed_hourly.json").read_text()))
    return result


def failed_request(stack: SyncStack, *, retries: int = 0, reason: str = "OpenSolar failed (500)") -> str:
    """An installation request whose sync failed `retries` hourly retries ago (made the way the sync fails one)."""
    request_id = stack.installation_request(queue=False)
    links.change_status(request_id, old=PENDING, new=FAILED, actions=[LinkItem.last_error.set(reason)])
    if retries:
        links.get_link(request_id).update(actions=[LinkItem.retry_count.set(retries)])
    return request_id


def queued_ids(stack: SyncStack) -> list[str]:
    messages = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"])["installation_request_id"] for message in messages]


def test_failed_syncs_with_retries_left_are_queued_again_and_counted(fresh: SyncStack) -> None:
    # given two failed syncs with retries left and one that used all three
    first, second = failed_request(fresh), failed_request(fresh, retries=2)
    exhausted = failed_request(fresh, retries=3)
    # when the hourly run happens
    result = hourly_run()
    # then the two are back on the queue as retries, pending, their retry counted; the exhausted one stays failed
    assert sorted(queued_ids(fresh)) == sorted([first, second])
    assert (fresh.link(first)["sync_status"], int(fresh.link(first)["retry_count"])) == ("pending", 1)
    assert (fresh.link(second)["sync_status"], int(fresh.link(second)["retry_count"])) == ("pending", 3)
    assert (fresh.link(exhausted)["sync_status"], int(fresh.link(exhausted)["retry_count"])) == ("failed", 3)
    assert result["queued"] == 2
    assert result["exhausted"] >= 1


def test_a_run_queues_no_more_than_the_batch_limit(fresh: SyncStack) -> None:
    fresh.configure(retry_batch_limit=2)
    for _ in range(3):
        failed_request(fresh)
    assert hourly_run()["queued"] == 2
    assert hourly_run()["queued"] == 1  # the next hour takes the rest


def test_the_retry_finds_its_links_with_a_query_not_a_scan(fresh: SyncStack) -> None:
    failed_request(fresh)
    fresh.ssr.api_calls.reset()
    hourly_run()
    calls = fresh.ssr.api_calls.calls
    assert "dynamodb.Scan" not in calls
    assert calls["dynamodb.Query"] >= 1


def test_nothing_is_retried_while_the_integration_is_inactive(fresh: SyncStack) -> None:
    request_id = failed_request(fresh)
    fresh.configure(is_active=False)
    assert hourly_run()["skipped"]
    assert fresh.link(request_id)["sync_status"] == "failed"
    assert queued_ids(fresh) == []


def test_a_retried_sync_that_succeeds_starts_its_retries_afresh(fresh: SyncStack) -> None:
    request_id = failed_request(fresh, retries=1)
    hourly_run()
    fresh.drain(timeout_s=30)  # the hour's run may re-queue other tests' failed syncs too
    link = fresh.link(request_id)
    assert (link["sync_status"], int(link["retry_count"])) == ("synced", 0)
    assert "last_error" not in link


def test_fifty_requests_under_throttling_outages_and_timeouts_end_as_fifty_projects(fresh: SyncStack) -> None:
    # given 50 installation requests queued, and OpenSolar answering 20 % of calls with 429, 10 % with 500 and
    # letting 5 % run past our timeout (the write still lands) — logins and lookups included
    fresh.configure(api_timeout_s=0.5, throttle_backoff_s=0.5)
    requests = [fresh.installation_request() for _ in range(50)]
    fresh.fake.set_faults(rate_429=0.2, rate_500=0.1, rate_slow=0.05, slow_ms=900, seed=20261129, routes="all")
    # when the queue works through them, and the hourly retry runs whenever some ended failed
    rounds = 0
    while True:
        fresh.drain(timeout_s=240)
        failed = [request for request in requests if fresh.link(request)["sync_status"] == "failed"]
        if not failed or rounds == 3:
            break
        rounds += 1
        hourly_run()
    # then every request is synced to exactly one project of its own, and nothing was parked in the DLQ
    statuses = Counter(fresh.link(request)["sync_status"] for request in requests)
    per_identifier = Counter(project["identifier"] for project in fresh.fake.projects())
    calls = fresh.fake.stats()["statuses"]
    print(f"hourly retries: {rounds}; link statuses: {dict(statuses)}; OpenSolar answers: {calls}")
    assert statuses == {"synced": 50}
    assert sorted(per_identifier) == sorted(requests)
    assert set(per_identifier.values()) == {1}
    assert fresh.in_dlq() == 0
    # and the faults really happened
    assert calls[WRITE].get("429", 0) > 0
    assert calls[WRITE].get("500", 0) > 0
