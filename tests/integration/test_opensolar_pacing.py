"""Write pacing: OpenSolar's write limit is shared by every container, so a burst is spread out, not refused."""

from __future__ import annotations

import threading
import time

import pytest

from solar_core.opensolar.outbound.pacing import WritePacer, WriteSlotTooFar
from tests.support.opensolar_stack import WINDOW_S, WRITE_LIMIT, SyncStack

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

WRITE = "POST /api/orgs/{org_id}/projects/"


def test_slots_taken_from_many_threads_are_distinct_and_evenly_spaced(fresh: SyncStack) -> None:
    # given one pacer item shared by eight "containers", whose clocks stand still for the test
    pacer = WritePacer(limit=10, window_s=2.0, clock=lambda: 1_000.0)
    waits: list[float] = []
    problems: list[Exception] = []
    lock = threading.Lock()

    def take(count: int) -> None:
        for _ in range(count):
            try:
                wait = pacer.reserve(max_wait_s=60)
            except Exception as exc:  # reported below: a thread's exception would vanish
                problems.append(exc)
                continue
            with lock:
                waits.append(wait)

    # when each takes five slots at once
    workers = [threading.Thread(target=take, args=(5,)) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # then the 40 writes got the 40 consecutive slots, one interval apart: no two share a moment, none is skipped
    assert problems == []
    assert sorted(waits) == pytest.approx([n * pacer.interval_s for n in range(40)])


def test_any_window_holds_no_more_writes_than_the_limit() -> None:
    pacer = WritePacer(limit=10, window_s=60.0)
    # eleven writes, evenly spaced, span more than the window: OpenSolar's sliding window never sees eleven
    assert 10 * pacer.interval_s > 60.0
    assert pacer.interval_s < 6.5  # and the guard costs little: 30 writes take about three minutes


def test_a_slot_further_away_than_the_caller_can_wait_is_not_taken(fresh: SyncStack) -> None:
    pacer = WritePacer(limit=1, window_s=10.0)
    assert pacer.reserve(max_wait_s=0) == 0.0
    with pytest.raises(WriteSlotTooFar) as refused:
        pacer.reserve(max_wait_s=1.0)
    assert refused.value.retry_after_s is not None
    assert 9.0 < refused.value.retry_after_s <= 10.3
    # and nothing was taken: the next caller that can wait gets that same slot
    assert 9.0 < pacer.reserve(max_wait_s=60) <= 10.3


def test_a_429_holds_every_container_until_it_has_passed(fresh: SyncStack) -> None:
    pacer = WritePacer(limit=10, window_s=2.0)
    pacer.hold_until(time.time() + 5)
    assert 4.5 < pacer.reserve(max_wait_s=60) <= 5.0


def test_a_burst_of_thirty_requests_is_paced_without_a_single_429(fresh: SyncStack) -> None:
    # given 30 installation requests queued at once, and OpenSolar's write limit matched by the pacer's
    requests = [fresh.installation_request() for _ in range(30)]
    started = time.monotonic()
    # when the queue's two pollers work through them
    fresh.drain(timeout_s=60)
    elapsed = time.monotonic() - started
    # then OpenSolar refused none of the writes, and every request is one project
    statuses = fresh.fake.stats()["statuses"][WRITE]
    print(f"30 creates in {elapsed:.1f} s; OpenSolar answered {statuses}")
    assert statuses == {"201": 30}
    assert all(len(fresh.projects_named(request)) == 1 for request in requests)
    # and it took about 30 intervals: paced, not in one rush (3 minutes at OpenSolar's real 10 a minute)
    interval = WritePacer(WRITE_LIMIT, WINDOW_S).interval_s
    assert elapsed >= 29 * interval * 0.95


def test_without_matching_pacing_the_same_burst_meets_429s_and_still_syncs_everything(fresh: SyncStack) -> None:
    # given the pacer set ten times faster than OpenSolar allows
    fresh.configure(write_limit=WRITE_LIMIT * 10, throttle_backoff_s=1.0)
    requests = [fresh.installation_request() for _ in range(20)]
    # when the queue works through them
    fresh.drain(timeout_s=90)
    # then OpenSolar throttled some writes (so the pacer is what spares them), and still no request was lost
    statuses = fresh.fake.stats()["statuses"][WRITE]
    assert statuses.get("429", 0) > 0
    assert statuses["201"] == 20
    assert all(fresh.link(request)["sync_status"] == "synced" for request in requests)
