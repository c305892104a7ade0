"""Installation scheduling (projects_api): crews, days off, slots, bookings and schedules keep contract.md's
answers and refusals, and a crew's day never holds more bookings than its installs_per_day."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from solar_core.scheduling import calendar
from tests.support import http_events
from tests.support.http_events import Answer, http_event
from tests.support.opensolar_stack import SyncStack
from tests.support.ssr_stack import load_handler

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CREW_KEYS = {"crew_id", "name", "branch_id", "skills", "installs_per_day", "working_days", "active"}


def call(
    method: str,
    route: str,
    path_parameters: dict[str, str] | None = None,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    groups: tuple[str, ...] | None = ("staff",),
) -> Answer:
    event = http_event(method, route, path_parameters, body=body, query=query, groups=groups)
    return http_events.invoke(load_handler("projects_api").handler, event)


def day(offset: int) -> str:
    """The date `offset` days after today (UTC)."""
    return (calendar.today() + timedelta(days=offset)).isoformat()


def new_branch() -> str:
    return f"branch-{uuid.uuid4().hex[:8]}"


def put_crew(crew_id: str, branch_id: str, **fields: Any) -> Answer:
    body = {"name": f"Crew {crew_id}", "branch_id": branch_id, "skills": ["solar", "hybrid"]} | fields
    return call("PUT", "/crews/{id}", {"id": crew_id}, body=body)


def new_crew(branch_id: str, **fields: Any) -> str:
    crew_id = f"crew-{uuid.uuid4().hex[:8]}"
    answer = put_crew(crew_id, branch_id, **({"working_days": EVERY_DAY} | fields))
    assert answer.status == 201, answer.body
    return crew_id


def book(request_id: str, crew_id: str | None = None, on: str | None = None) -> Answer:
    body = {} if crew_id is None else {"crew_id": crew_id, "date": on}
    return call("PUT", "/installation-requests/{id}/booking", {"id": request_id}, body=body)


def request_of(request_id: str) -> dict[str, Any]:
    answer = call("GET", "/opensolar/projects/{id}", {"id": request_id})
    assert answer.status == 200, answer.body
    view = call("GET", "/orders/{id}/service-request", {"id": answer.body["order_id"]})
    assert view.status == 200, view.body
    result: dict[str, Any] = view.body
    return result


def slots(request_id: str, **query: str) -> list[dict[str, Any]]:
    answer = call("GET", "/installation-requests/{id}/slots", {"id": request_id}, query=query or None)
    assert answer.status == 200, answer.body
    items: list[dict[str, Any]] = answer.body["items"]
    return items


def schedule(crew_id: str, **query: str) -> list[dict[str, Any]]:
    answer = call("GET", "/crews/{id}/schedule", {"id": crew_id}, query=query or None)
    assert answer.status == 200, answer.body
    items: list[dict[str, Any]] = answer.body["items"]
    return items


@pytest.fixture
def branch() -> str:
    return new_branch()


@pytest.fixture
def request_id(opensolar: SyncStack, branch: str) -> str:
    return opensolar.installation_request(queue=False, branch_id=branch)


# ---------------------------------------------------------------- crews and days off


def test_a_crew_is_created_with_its_defaults_then_replaced_and_listed_by_branch(opensolar: SyncStack) -> None:
    # given a new branch
    branch_id = new_branch()
    # when a crew is put with only the required fields, then put again with all of them
    created = put_crew("c-defaults", branch_id, skills=["solar"])
    replaced = put_crew("c-defaults", branch_id, installs_per_day=3, working_days=["sat", "mon"], active=False)
    other = put_crew("c-other", new_branch())
    # then the first is 201 with the defaults, the second 200 with what was given, and each branch lists its own
    assert (created.status, replaced.status, other.status) == (201, 200, 201)
    assert set(created.body) == CREW_KEYS
    assert created.body == {
        "crew_id": "c-defaults",
        "name": "Crew c-defaults",
        "branch_id": branch_id,
        "skills": ["solar"],
        "installs_per_day": 1,
        "working_days": ["mon", "tue", "wed", "thu", "fri"],
        "active": True,
    }
    assert (replaced.body["installs_per_day"], replaced.body["working_days"], replaced.body["active"]) == (
        3,
        ["mon", "sat"],
        False,
    )
    listed = call("GET", "/crews", query={"branch_id": branch_id})
    assert listed.status == 200
    assert listed.body["items"] == [replaced.body]
    everyone = call("GET", "/crews/").body["items"]
    assert {"c-defaults", "c-other"} <= {crew["crew_id"] for crew in everyone}


@pytest.mark.parametrize(
    "body",
    [
        {"branch_id": "b", "skills": ["solar"]},
        {"name": "A", "branch_id": "b", "skills": []},
        {"name": "A", "branch_id": "b", "skills": ["wind"]},
        {"name": "A", "branch_id": "b", "skills": ["solar"], "installs_per_day": 0},
        {"name": "A", "branch_id": "b", "skills": ["solar"], "installs_per_day": "2"},
        {"name": "A", "branch_id": "b", "skills": ["solar"], "working_days": ["monday"]},
        {"name": "A", "branch_id": "b", "skills": ["solar"], "active": "yes"},
        {"name": "A", "branch_id": "b", "skills": ["solar"], "colour": "red"},
    ],
)
def test_a_crew_with_a_missing_or_bad_field_is_400(opensolar: SyncStack, body: dict[str, Any]) -> None:
    answer = call("PUT", "/crews/{id}", {"id": "c-bad"}, body=body)
    assert answer.status == 400, answer.body
    assert answer.body["error"] == "invalid_input"


@pytest.mark.parametrize(
    ("method", "route", "params", "body"),
    [
        ("PUT", "/crews/{id}", {"id": "c1"}, {"name": "A", "branch_id": "b", "skills": ["solar"]}),
        ("GET", "/crews", None, None),
        ("PUT", "/crews/{id}/days-off/{date}", {"id": "c1", "date": "2030-01-01"}, {}),
        ("DELETE", "/crews/{id}/days-off/{date}", {"id": "c1", "date": "2030-01-01"}, None),
        ("GET", "/crews/{id}/schedule", {"id": "c1"}, None),
        ("GET", "/installation-requests/{id}/slots", {"id": "IR-1"}, None),
        ("PUT", "/installation-requests/{id}/booking", {"id": "IR-1"}, {}),
        ("GET", "/installation-requests/{id}/booking", {"id": "IR-1"}, None),
        ("DELETE", "/installation-requests/{id}/booking", {"id": "IR-1"}, None),
    ],
)
def test_every_scheduling_route_is_403_for_a_caller_who_is_not_staff(
    opensolar: SyncStack, method: str, route: str, params: dict[str, str] | None, body: Any
) -> None:
    answer = call(method, route, params, body=body, groups=("sales",))
    assert answer.status == 403, answer.body
    assert answer.body["error"] == "forbidden"


def test_unknown_crews_and_requests_are_404(opensolar: SyncStack, request_id: str) -> None:
    assert call("GET", "/crews/{id}/schedule", {"id": "nobody"}).status == 404
    assert call("PUT", "/crews/{id}/days-off/{date}", {"id": "nobody", "date": day(3)}, body={}).status == 404
    assert call("DELETE", "/crews/{id}/days-off/{date}", {"id": "nobody", "date": day(3)}).status == 404
    assert call("GET", "/installation-requests/{id}/slots", {"id": "IR-00000000"}).status == 404
    assert book("IR-00000000").status == 404
    assert book(request_id, "nobody", day(3)).status == 404
    assert call("GET", "/installation-requests/{id}/booking", {"id": request_id}).status == 404
    assert call("DELETE", "/installation-requests/{id}/booking", {"id": request_id}).status == 404


def test_bad_dates_windows_and_booking_bodies_are_400(opensolar: SyncStack, branch: str, request_id: str) -> None:
    crew_id = new_crew(branch)
    assert call("PUT", "/crews/{id}/days-off/{date}", {"id": crew_id, "date": "tomorrow"}, body={}).status == 400
    assert call("GET", "/crews/{id}/schedule", {"id": crew_id}, query={"from": "2030-13-01"}).status == 400
    assert call("GET", "/crews/{id}/schedule", {"id": crew_id}, query={"from": "0"}).status == 400  # not 1970-01-01
    assert call("PUT", "/crews/{id}/days-off/{date}", {"id": crew_id, "date": day(3)}, body=[None, None]).status == 400
    assert call("GET", "/installation-requests/{id}/slots", {"id": request_id}, query={"days": "61"}).status == 400
    assert call("GET", "/installation-requests/{id}/slots", {"id": request_id}, query={"days": "0"}).status == 400
    only_crew = call("PUT", "/installation-requests/{id}/booking", {"id": request_id}, body={"crew_id": crew_id})
    bad_date = book(request_id, crew_id, "3 March")
    assert (only_crew.status, bad_date.status) == (400, 400)


def test_a_day_off_is_put_and_taken_back_and_hides_the_crews_slots(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    # given a crew working every day
    crew_id = new_crew(branch)
    # when it is off in three days
    off = call("PUT", "/crews/{id}/days-off/{date}/", {"id": crew_id, "date": day(3)}, body={"reason": "Training"})
    # then the day off answers as written and that day has no slot, until it is taken back
    assert off.status == 200
    assert off.body == {"crew_id": crew_id, "date": day(3), "reason": "Training"}
    assert day(3) not in {slot["date"] for slot in slots(request_id)}
    refused = book(request_id, crew_id, day(3))
    assert refused.status == 409
    assert "is off" in refused.body["message"]
    assert call("DELETE", "/crews/{id}/days-off/{date}", {"id": crew_id, "date": day(3)}).status == 204
    assert day(3) in {slot["date"] for slot in slots(request_id)}


def test_a_day_off_on_a_booked_day_is_409_naming_the_booking(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    crew_id = new_crew(branch)
    assert book(request_id, crew_id, day(2)).status == 200
    answer = call("PUT", "/crews/{id}/days-off/{date}", {"id": crew_id, "date": day(2)}, body={})
    assert answer.status == 409
    assert answer.body["details"] == [{"installation_request_id": request_id, "date": day(2)}]


def test_a_crew_change_that_would_strand_a_booking_is_409_naming_it(opensolar: SyncStack, branch: str) -> None:
    # given a crew of two a day with two bookings on one day
    crew_id = new_crew(branch, installs_per_day=2)
    first, second = (opensolar.installation_request(queue=False, branch_id=branch) for _ in range(2))
    assert book(first, crew_id, day(4)).status == 200
    assert book(second, crew_id, day(4)).status == 200
    weekday = calendar.weekday_of(date.fromisoformat(day(4))).value
    # when staff lower its capacity to one, or take that weekday out
    lowered = put_crew(crew_id, branch, working_days=EVERY_DAY, installs_per_day=1)
    fewer_days = put_crew(crew_id, branch, installs_per_day=2, working_days=[d for d in EVERY_DAY if d != weekday])
    # then both are 409 naming the bookings to move, and the crew is unchanged
    assert (lowered.status, fewer_days.status) == (409, 409)
    assert lowered.body["details"] == [{"installation_request_id": max(first, second), "date": day(4)}]
    assert sorted(d["installation_request_id"] for d in fewer_days.body["details"]) == sorted([first, second])
    crew = next(c for c in call("GET", "/crews", query={"branch_id": branch}).body["items"] if c["crew_id"] == crew_id)
    assert (crew["installs_per_day"], crew["working_days"]) == (2, EVERY_DAY)
    # and a change that strands nothing is saved
    assert put_crew(crew_id, branch, working_days=EVERY_DAY, installs_per_day=3).status == 200


# ---------------------------------------------------------------- slots


def test_slots_list_only_fitting_crews_on_working_free_days_earliest_first(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    # given crews of the branch: one every day, one on a single weekday, one inactive, one without the skill,
    # and one of another branch
    everyday = new_crew(branch)
    weekday = calendar.weekday_of(date.fromisoformat(day(5))).value
    one_day = new_crew(branch, working_days=[weekday])
    new_crew(branch, active=False)
    new_crew(branch, skills=["hybrid"])
    new_crew(new_branch())
    # when the slots of the next seven days are read
    listed = slots(request_id, days="7")
    # then they are the two fitting crews' days, sorted by date then crew id, each with its room left
    expected = sorted(
        [(day(offset), everyday) for offset in range(1, 8)] + [(day(5), one_day)],
    )
    assert [(slot["date"], slot["crew_id"]) for slot in listed] == expected
    assert all(slot["remaining"] == 1 and slot["crew_name"] == f"Crew {slot['crew_id']}" for slot in listed)
    # and a booked day leaves the list; a window from the past starts tomorrow
    assert book(request_id, one_day, day(5)).status == 200
    assert (day(5), one_day) not in {(s["date"], s["crew_id"]) for s in slots(request_id, days="7")}
    assert slots(request_id, **{"from": day(-3), "days": "5"})[0]["date"] == day(1)


# ---------------------------------------------------------------- booking


def test_a_booking_schedules_the_request_and_shows_everywhere(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    # given a crew and a pending request
    crew_id = new_crew(branch, installs_per_day=2)
    # when staff book it on that crew in three days
    answer = book(request_id, crew_id, day(3))
    # then the booking answers, the request is scheduled with the date and the booking, audited, on the schedule
    assert answer.status == 200, answer.body
    assert set(answer.body) == {"installation_request_id", "crew_id", "crew_name", "date", "booked_at"}
    assert (answer.body["installation_request_id"], answer.body["crew_id"], answer.body["date"]) == (
        request_id,
        crew_id,
        day(3),
    )
    view = request_of(request_id)
    request = view["installation_request"]
    assert (request["status"], request["installation_date"]) == ("scheduled", day(3))
    assert request["booking"] == {"crew_id": crew_id, "crew_name": f"Crew {crew_id}", "date": day(3)}
    assert "installation_booked" in [entry["action"] for entry in view["audit"]]
    assert call("GET", "/installation-requests/{id}/booking/", {"id": request_id}).body == answer.body
    listed = schedule(crew_id, **{"from": day(1), "days": "7"})
    assert [(entry["date"], entry["installation_request_id"], entry["status"]) for entry in listed] == [
        (day(3), request_id, "scheduled")
    ]
    assert listed[0]["customer_name"] == "John Doe"
    assert listed[0]["address"]["city"] == "Harare"
    # and the crew's day has one place left
    assert {(s["date"], s["remaining"]) for s in slots(request_id, days="3") if s["crew_id"] == crew_id} >= {
        (day(3), 1)
    }


def test_booking_the_same_slot_again_changes_nothing(opensolar: SyncStack, branch: str, request_id: str) -> None:
    crew_id = new_crew(branch)
    first = book(request_id, crew_id, day(2))
    again = book(request_id, crew_id, day(2))
    assert (first.status, again.status) == (200, 200)
    assert first.body == again.body


def test_a_rebooking_moves_the_request_and_frees_the_old_day(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    # given a request booked on one crew's only place that day
    crew_a, crew_b = new_crew(branch), new_crew(branch)
    assert book(request_id, crew_a, day(2)).status == 200
    # when it is booked on another crew and day
    moved = book(request_id, crew_b, day(6))
    # then it holds the new one only: the old day is free again, the request stays scheduled
    assert moved.status == 200
    assert schedule(crew_a, **{"from": day(1)}) == []
    assert [entry["date"] for entry in schedule(crew_b, **{"from": day(1)})] == [day(6)]
    assert (day(2), crew_a) in {(s["date"], s["crew_id"]) for s in slots(request_id, days="7")}
    view = request_of(request_id)
    assert view["installation_request"]["status"] == "scheduled"
    assert view["installation_request"]["booking"]["date"] == day(6)
    assert "booking_moved" in [entry["action"] for entry in view["audit"]]


def test_booking_refusals_follow_the_contract(opensolar: SyncStack, branch: str) -> None:
    # given crews that cannot take the request, and one that can but is full on a day
    request_id = opensolar.installation_request(queue=False, branch_id=branch)
    other = opensolar.installation_request(queue=False, branch_id=branch)
    inactive = new_crew(branch, active=False)
    foreign = new_crew(new_branch())
    unskilled = new_crew(branch, skills=["hybrid"])
    weekday = calendar.weekday_of(date.fromisoformat(day(3))).value
    not_that_day = new_crew(branch, working_days=[d for d in EVERY_DAY if d != weekday])
    able = new_crew(branch)
    assert book(other, able, day(4)).status == 200
    # when staff book it on each
    answers = {
        "inactive": book(request_id, inactive, day(3)),
        "other branch": book(request_id, foreign, day(3)),
        "no skill": book(request_id, unskilled, day(3)),
        "today": book(request_id, able, day(0)),
        "not working": book(request_id, not_that_day, day(3)),
        "full": book(request_id, able, day(4)),
    }
    # then the impossible ones are 422 and the taken or closed ones 409, each in words
    assert {name: answer.status for name, answer in answers.items()} == {
        "inactive": 422,
        "other branch": 422,
        "no skill": 422,
        "today": 422,
        "not working": 409,
        "full": 409,
    }
    assert "fully booked" in answers["full"].body["message"]
    assert "does not work" in answers["not working"].body["message"]
    assert request_of(request_id)["installation_request"]["booking"] is None


@pytest.mark.parametrize("status", ["in_progress", "completed", "cancelled"])
def test_a_request_in_progress_completed_or_cancelled_is_not_booked(fresh: SyncStack, branch: str, status: str) -> None:
    request_id = fresh.installation_request(queue=False, branch_id=branch)
    crew_id = new_crew(branch)
    path = (
        [] if status == "cancelled" else ["scheduled", "in_progress"] + (["completed"] if status == "completed" else [])
    )
    for step in path or ["cancelled"]:
        moved = call("PATCH", "/installation-requests/{id}", {"id": request_id}, body={"status": step})
        assert moved.status == 200, moved.body
    assert book(request_id, crew_id, day(2)).status == 409
    assert book(request_id).status == 409


def test_automatic_assignment_takes_the_first_free_slot_from_tomorrow(opensolar: SyncStack, branch: str) -> None:
    # given two crews; the first crew's tomorrow is taken
    crew_a, crew_b = sorted([new_crew(branch), new_crew(branch)])
    taken = opensolar.installation_request(queue=False, branch_id=branch)
    assert book(taken, crew_a, day(1)).status == 200
    request_id = opensolar.installation_request(queue=False, branch_id=branch)
    # when it is booked with no crew and no date
    answer = book(request_id)
    # then it gets tomorrow on the second crew, the first slot the slots list showed
    assert answer.status == 200, answer.body
    assert (answer.body["crew_id"], answer.body["date"]) == (crew_b, day(1))


def test_automatic_assignment_without_any_slot_is_422(opensolar: SyncStack, branch: str, request_id: str) -> None:
    new_crew(branch, active=False)
    answer = book(request_id)
    assert answer.status == 422
    assert "60 days" in answer.body["message"]


def test_unbooking_frees_the_day_clears_the_date_and_returns_to_pending(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    crew_id = new_crew(branch)
    assert book(request_id, crew_id, day(2)).status == 200
    answer = call("DELETE", "/installation-requests/{id}/booking", {"id": request_id})
    assert answer.status == 204
    view = request_of(request_id)
    request = view["installation_request"]
    assert (request["status"], request["installation_date"], request["booking"]) == ("pending", None, None)
    assert "booking_cancelled" in [entry["action"] for entry in view["audit"]]
    assert schedule(crew_id, **{"from": day(1)}) == []
    assert call("GET", "/installation-requests/{id}/booking", {"id": request_id}).status == 404
    # and the freed place can be booked by another request
    other = opensolar.installation_request(queue=False, branch_id=branch)
    assert book(other, crew_id, day(2)).status == 200


def test_cancelling_a_booked_request_frees_its_day(fresh: SyncStack, branch: str) -> None:
    request_id = fresh.installation_request(queue=False, branch_id=branch)
    crew_id = new_crew(branch)
    assert book(request_id, crew_id, day(2)).status == 200
    cancelled = call("PATCH", "/installation-requests/{id}", {"id": request_id}, body={"status": "cancelled"})
    assert cancelled.status == 200, cancelled.body
    assert cancelled.body["status"] == "cancelled"
    assert schedule(crew_id, **{"from": day(1)}) == []
    assert request_of(request_id)["installation_request"]["booking"] is None
    other = fresh.installation_request(queue=False, branch_id=branch)
    assert book(other, crew_id, day(2)).status == 200


# ---------------------------------------------------------------- races


def test_many_staff_booking_one_crew_day_at_once_never_overfill_it(opensolar: SyncStack, branch: str) -> None:
    # given a crew of three a day and twelve pending requests
    crew_id = new_crew(branch, installs_per_day=3)
    requests = [opensolar.installation_request(queue=False, branch_id=branch) for _ in range(12)]
    start = threading.Barrier(len(requests))

    def race(request_id: str) -> Answer:
        start.wait()
        return book(request_id, crew_id, day(3))

    # when all twelve are booked on the same day at once
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(race, requests))
    # then three get 200, the rest 409, and the day holds exactly the three winners
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] * 3 + [409] * 9
    assert all("fully booked" in answer.body["message"] for answer in answers if answer.status == 409)
    winners = sorted(r for r, answer in zip(requests, answers, strict=True) if answer.status == 200)
    assert (
        sorted(entry["installation_request_id"] for entry in schedule(crew_id, **{"from": day(3), "days": "1"}))
        == winners
    )


def test_two_staff_booking_the_last_place_get_one_200_and_one_409(opensolar: SyncStack, branch: str) -> None:
    crew_id = new_crew(branch)
    first, second = (opensolar.installation_request(queue=False, branch_id=branch) for _ in range(2))
    start = threading.Barrier(2)

    def race(request_id: str) -> int:
        start.wait()
        return book(request_id, crew_id, day(2)).status

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(race, [first, second])) == [200, 409]


def test_racing_automatic_assignments_never_409_while_a_slot_exists(opensolar: SyncStack, branch: str) -> None:
    # given two crews of two a day and ten requests booked automatically at once
    crews = sorted([new_crew(branch, installs_per_day=2), new_crew(branch, installs_per_day=2)])
    requests = [opensolar.installation_request(queue=False, branch_id=branch) for _ in range(10)]
    start = threading.Barrier(len(requests))

    def race(request_id: str) -> Answer:
        start.wait()
        return book(request_id)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(race, requests))
    # then every one is booked, no day over capacity, filling the earliest days first
    assert [answer.status for answer in answers] == [200] * 10, [a.body for a in answers if a.status != 200]
    per_day: dict[tuple[str, str], int] = {}
    for answer in answers:
        key = (answer.body["crew_id"], answer.body["date"])
        per_day[key] = per_day.get(key, 0) + 1
    assert max(per_day.values()) <= 2
    assert sorted({date_ for _, date_ in per_day}) == [day(1), day(2), day(3)]
    for crew_id in crews:
        assert len(schedule(crew_id, **{"from": day(1), "days": "5"})) == sum(
            n for (c, _), n in per_day.items() if c == crew_id
        )


def test_the_opensolar_project_view_follows_the_booking_and_the_un_booking(
    opensolar: SyncStack, branch: str, request_id: str
) -> None:
    # given a crew and a pending request (its OpenSolar link made with its records)
    crew_id = new_crew(branch)
    # when staff book it, then free it
    assert book(request_id, crew_id, day(4)).status == 200
    booked = call("GET", "/opensolar/projects/{id}", {"id": request_id}).body
    assert call("DELETE", "/installation-requests/{id}/booking", {"id": request_id}).status == 204
    freed = call("GET", "/opensolar/projects/{id}", {"id": request_id}).body
    # then the project list's copy moved with it, in the booking's own transaction
    assert (booked["status"], booked["installation_date"]) == ("scheduled", day(4))
    assert (freed["status"], freed["installation_date"]) == ("pending", None)
