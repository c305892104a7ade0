"""AWS calls per booking and per slots query (in-process, on moto): what scheduling costs when warm."""

from __future__ import annotations

import uuid
from typing import Any

from bench.api_calls import counted_api_calls
from tests.support.http_events import http_event, invoke

CREWS = 5
RUNS = 10


def _call(handler: Any, method: str, route: str, params: dict[str, str] | None = None, body: Any = None) -> Any:
    answer = invoke(handler, http_event(method, route, params, body=body, groups=("staff",)))
    assert answer.status < 300, (route, answer)
    return answer


def measure() -> dict[str, Any]:
    """Booking (a given slot, and the first free one) and a 14-day slots query with five crews in the branch."""
    # Imported here: the layer reads its table names from the environment bench/__main__ sets first.
    from tests.support.opensolar_stack import sync_stack
    from tests.support.ssr_stack import load_handler

    handler = load_handler("projects_api").handler
    branch = f"bench-{uuid.uuid4().hex[:6]}"
    with sync_stack() as stack:
        for n in range(CREWS):
            crew = {"name": f"Crew {n}", "branch_id": branch, "skills": ["solar", "hybrid"], "installs_per_day": 2}
            _call(handler, "PUT", "/crews/{id}", {"id": f"{branch}-{n}"}, crew)
        requests = [stack.installation_request(queue=False, branch_id=branch) for _ in range(2 * RUNS + 2)]
        # Warm: the first query and booking fill the container's caches and clients.
        _call(handler, "GET", "/installation-requests/{id}/slots", {"id": requests[0]})
        _call(handler, "PUT", "/installation-requests/{id}/booking", {"id": requests[0]}, {})
        with counted_api_calls() as slots_calls:
            for request_id in requests[1 : RUNS + 1]:
                _call(handler, "GET", "/installation-requests/{id}/slots", {"id": request_id})
        with counted_api_calls() as auto_calls:
            for request_id in requests[1 : RUNS + 1]:
                _call(handler, "PUT", "/installation-requests/{id}/booking", {"id": request_id}, {})
        free = _call(handler, "GET", "/installation-requests/{id}/slots", {"id": requests[-1]}).body["items"]
        places = [{"crew_id": s["crew_id"], "date": s["date"]} for s in free for _ in range(s["remaining"])]
        with counted_api_calls() as given_calls:
            for request_id, place in zip(requests[RUNS + 1 : 2 * RUNS + 1], places, strict=False):
                _call(handler, "PUT", "/installation-requests/{id}/booking", {"id": request_id}, place)
    return {
        "crews_in_branch": CREWS,
        "aws_calls_per_slots_query_14_days": sum(slots_calls.values()) / RUNS,
        "aws_calls_per_automatic_booking": sum(auto_calls.values()) / RUNS,
        "aws_calls_per_booking": sum(given_calls.values()) / RUNS,
        "by_operation": {
            "slots": {op: n / RUNS for op, n in sorted(slots_calls.items())},
            "automatic booking": {op: n / RUNS for op, n in sorted(auto_calls.items())},
            "booking": {op: n / RUNS for op, n in sorted(given_calls.items())},
        },
    }
