"""Installation scheduling through the local stack, each call under the projects API's own role: a crew is made, a
paid order's installation request is booked automatically, read back and un-booked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from local.scenarios.sample_catalog import sample_order
from tests.e2e.conftest import Api
from tests.e2e.test_paid_order_automation import automation_done, catalog, new_order_id, put_order  # noqa: F401

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_a_created_request_is_booked_on_the_first_free_slot_read_back_and_unbooked(
    api: Api,
    catalog: None,  # noqa: F811 - the catalog fixture
) -> None:
    # given a crew of a branch of its own, working every day, and a paid order of that branch
    branch_id = f"e2e-{uuid.uuid4().hex[:8]}"
    crew_id = f"crew-{branch_id}"
    crew = {"name": "Tendai's crew", "branch_id": branch_id, "skills": ["solar", "hybrid"], "working_days": EVERY_DAY}
    created = api.request("PUT", f"/crews/{crew_id}", json=crew)
    assert created.status_code == 201, created.text
    order_id = new_order_id("schedule")
    put_order(api, sample_order(order_id, branch_id=branch_id))
    view = automation_done(api, order_id)
    assert view["automation"]["state"] == "created", view
    request_id = view["installation_request"]["id"]
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    # when its slots are read and it is booked with no crew and no date
    slots = api.request("GET", f"/installation-requests/{request_id}/slots", params={"days": "3"})
    booked = api.request("PUT", f"/installation-requests/{request_id}/booking", json={})
    # then it is on the crew tomorrow, the first slot listed, and every read shows it
    assert slots.status_code == 200, slots.text
    assert slots.json()["items"][0] == {
        "date": tomorrow,
        "crew_id": crew_id,
        "crew_name": "Tendai's crew",
        "remaining": 1,
    }
    assert booked.status_code == 200, booked.text
    assert (booked.json()["crew_id"], booked.json()["date"]) == (crew_id, tomorrow)
    assert api.request("GET", f"/installation-requests/{request_id}/booking/").json() == booked.json()
    request = api.request("GET", f"/orders/{order_id}/service-request").json()["installation_request"]
    assert (request["status"], request["installation_date"]) == ("scheduled", tomorrow)
    assert request["booking"] == {"crew_id": crew_id, "crew_name": "Tendai's crew", "date": tomorrow}
    schedule = api.request("GET", f"/crews/{crew_id}/schedule", params={"from": tomorrow, "days": "1"}).json()
    assert [entry["installation_request_id"] for entry in schedule["items"]] == [request_id]
    assert api.request("GET", "/crews", params={"branch_id": branch_id}).json()["items"][0]["crew_id"] == crew_id
    # and un-booking frees the day and puts the request back to pending
    assert api.request("DELETE", f"/installation-requests/{request_id}/booking").status_code == 204
    request = api.request("GET", f"/orders/{order_id}/service-request").json()["installation_request"]
    assert (request["status"], request["installation_date"], request["booking"]) == ("pending", None, None)
    assert api.request("GET", f"/crews/{crew_id}/schedule", params={"from": tomorrow}).json()["items"] == []
    # and a day off on the freed day is taken and given back
    off = api.request("PUT", f"/crews/{crew_id}/days-off/{tomorrow}", json={"reason": "Vehicle service"})
    assert off.status_code == 200, off.text
    assert api.request("DELETE", f"/crews/{crew_id}/days-off/{tomorrow}").status_code == 204
