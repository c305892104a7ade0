"""`make demo`, scheduling: two crews, an automatic booking, three staff racing for a crew's last place on a day (one
wins, two are told it is full), a booking moved to another crew, and one cancelled."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from local.scenarios.demo.client import heading
from local.scenarios.demo.context import DemoContext, pick, put_order, show, wait_for_automation
from local.scenarios.sample_catalog import sample_order

CREWS = {
    "CREW-TENDAI": {"name": "Crew Tendai", "branch_id": "harare", "skills": ["solar", "hybrid"], "installs_per_day": 2},
    "CREW-RUDO": {"name": "Crew Rudo", "branch_id": "harare", "skills": ["solar", "hybrid"], "installs_per_day": 1},
}
ORDERS = ["SO-DEMO-2001", "SO-DEMO-2002", "SO-DEMO-2003", "SO-DEMO-2004"]


def _request_of(demo: DemoContext, order_id: str) -> str:
    put_order(demo, sample_order(order_id))
    view = wait_for_automation(demo, order_id)
    return str((view.get("installation_request") or {}).get("id"))


def _race(demo: DemoContext, request_ids: list[str], crew_id: str, day: str) -> list[int]:
    """Three staff press "Book" for the same crew and day at the same moment."""
    url = demo.stack["api_url"] + "/installation-requests/{}/booking"
    headers = {"Authorization": f"Bearer {demo.stack['staff_token']}"}

    def book(request_id: str) -> int:
        body = {"crew_id": crew_id, "date": day}
        return requests.put(url.format(request_id), json=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=len(request_ids)) as pool:
        return list(pool.map(book, request_ids))


def scheduling(demo: DemoContext) -> None:
    api = demo.api
    heading("Scheduling (a): two crews of the Harare branch")
    for crew_id, crew in CREWS.items():
        api.call("PUT", f"/crews/{crew_id}", crew, expect=201, show=lambda c: pick(c, "name", "installs_per_day"))
    api.call("GET", "/crews?branch_id=harare", show=lambda page: [c["crew_id"] for c in page["items"]])

    heading("Scheduling (b): a new paid order's installation is booked automatically")
    first, *racers = [_request_of(demo, order_id) for order_id in ORDERS]
    free = api.call("GET", f"/installation-requests/{first}/slots?days=7", show=lambda s: s["items"][:4]) or {}
    booked = api.call("PUT", f"/installation-requests/{first}/booking", {}, why="the first free slot is taken") or {}
    first_slot = (free.get("items") or [{}])[0]
    api.verify(
        (booked.get("crew_id"), booked.get("date")) == (first_slot.get("crew_id"), first_slot.get("date")),
        "booked on the earliest slot the slots list showed",
    )
    view = api.call("GET", f"/orders/{ORDERS[0]}/service-request", show=lambda v: v["installation_request"]["booking"])
    request = (view or {}).get("installation_request") or {}
    api.verify(request.get("status") == "scheduled", "the request is scheduled, with its date and crew")

    heading("Scheduling (c): three staff race for Crew Rudo's one place on a day")
    rudo_days = [s["date"] for s in free.get("items", []) if s["crew_id"] == "CREW-RUDO" and s["remaining"] == 1]
    day = rudo_days[-1] if rudo_days else ""
    statuses = _race(demo, racers, "CREW-RUDO", day)
    show("answers", statuses)
    api.verify(sorted(statuses) == [200, 409, 409], "one booking wins, the other two are told the day is full")
    schedule = api.call("GET", f"/crews/CREW-RUDO/schedule?from={day}&days=1", show=lambda s: s["items"]) or {}
    api.verify(len(schedule.get("items", [])) == 1, "Crew Rudo's day holds exactly one installation")

    heading("Scheduling (d): the winner moves to Crew Tendai, and the first booking is cancelled")
    winner = next(rid for rid, status in zip(racers, statuses, strict=True) if status == 200)
    tendai = [s for s in free.get("items", []) if s["crew_id"] == "CREW-TENDAI"]
    target = tendai[-1]["date"] if tendai else day
    moved: Any = api.call(
        "PUT", f"/installation-requests/{winner}/booking", {"crew_id": "CREW-TENDAI", "date": target}, why="moved"
    )
    show("moved to", pick(moved, "crew_name", "date"))
    again = api.call("GET", f"/crews/CREW-RUDO/schedule?from={day}&days=1", show=lambda s: s["items"]) or {}
    api.verify(not again.get("items"), "Crew Rudo's day is free again (freed in the move's own transaction)")
    api.call("DELETE", f"/installation-requests/{first}/booking", expect=204, why="cancelled")
    after = api.call("GET", f"/orders/{ORDERS[0]}/service-request", show=lambda v: v["installation_request"]["status"])
    api.verify(((after or {}).get("installation_request") or {}).get("status") == "pending", "back to pending")
