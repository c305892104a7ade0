"""The flows `make iam-check` runs after the demo's scenario: every console action, a refund, the rest of the API.

The demo already walks the catalog, the paid order, its flag and re-run, the sync under OpenSolar's faults with the
hourly retry, the webhook and its registration, staff moves and the daily catch-up. What it leaves out is here, so
that every function meets every call its code can make.
"""

from __future__ import annotations

from typing import Any

from local.scenarios.demo.client import heading
from local.scenarios.demo.context import PAID_ORDER, DemoContext, put_order, wait_for_automation
from local.scenarios.sample_catalog import (
    BATTERY_ID,
    INSTALLATION_SERVICE_ID,
    INVERTER_ID,
    PACKAGE_ID,
    order_line,
    sample_order,
)

GHOST_ORDER = "SO-IAM-GHOST"
SCHEDULED_ORDER = "SO-IAM-SCHEDULE"
IAM_CREW = "crew-iam-check"


def _ids(demo: DemoContext) -> tuple[str, str]:
    view = demo.api.call("GET", f"/orders/{PAID_ORDER}/service-request", show=lambda v: v["ssr"]) or {}
    return str((view.get("installation_request") or {}).get("id", "?")), str((view.get("ssr") or {}).get("ssr_id"))


def console_actions(demo: DemoContext) -> None:
    """What the operator console calls: every list, view and action on the paid order's records."""
    heading("IAM check (a): every console read and action")
    request_id, ssr_id = _ids(demo)
    reads = [
        "/automation/orders",
        "/opensolar/config",
        "/opensolar/projects?limit=5",
        "/opensolar/projects?sync_status=synced",
        f"/opensolar/projects/{request_id}",
        f"/opensolar/projects/{request_id}/status",
        f"/opensolar/projects/{request_id}/sync-logs",
        "/opensolar/stats",
        "/opensolar/webhook-logs",
        "/opensolar/webhook-logs?status=processed",
        "/opensolar/webhook-registration",
        f"/orders/{PAID_ORDER}",
        f"/service-requests/{ssr_id}",
        f"/packages/{PACKAGE_ID}",
        f"/products/{INVERTER_ID}",
        f"/products/compatibility/rules?product_id={INVERTER_ID}",
        "/warranty-rules",
    ]
    for path in reads:
        demo.api.call("GET", path)
    demo.api.call("POST", f"/opensolar/projects/{request_id}/sync?force=true", expect=202)
    listed = demo.api.call("GET", "/opensolar/projects?limit=3") or {"items": []}
    several = [request_id, *[project["id"] for project in listed["items"]], "IR-UNKNOWN"]  # a batch, as the console
    demo.api.call("POST", "/opensolar/projects/sync", {"ids": list(dict.fromkeys(several))}, expect=202)
    demo.api.call(
        "POST", "/products/compatibility/check-products", {"product_a_id": INVERTER_ID, "product_b_id": BATTERY_ID}
    )
    demo.api.call("POST", "/products/compatibility/validate-package", {"package_id": PACKAGE_ID})
    demo.api.call("PATCH", f"/installation-requests/{request_id}", {"note": "IAM check: a staff note"})


def catalog_changes(demo: DemoContext) -> None:
    """A rule made and deleted again, and the webhook registration disabled and registered again."""
    heading("IAM check (b): a rule deleted, the webhook registration disabled and restored")
    rule = {"product_a_id": INVERTER_ID, "product_b_id": "PANEL-550W", "rule_type": "COMPATIBLE", "reason": "IAM check"}
    made: Any = demo.api.call("POST", "/products/compatibility/rules", rule, expect=201)
    if made:
        demo.api.call("DELETE", f"/products/compatibility/rules/{made['rule_id']}", expect=204)
    demo.api.call("DELETE", "/opensolar/webhook-registration")
    demo.api.call("PUT", "/opensolar/webhook-registration")


def refund(demo: DemoContext) -> None:
    """The CRM marks the paid order refunded: staff are told, the records stay."""
    heading("IAM check (c): the paid order is refunded")
    order = demo.api.call("GET", f"/orders/{PAID_ORDER}") or {}
    body = {key: value for key, value in order.items() if key not in ("notes", "updated_at", "created_at")}
    demo.api.call("PUT", f"/orders/{PAID_ORDER}", {**body, "payment_status": "refunded"})
    demo.api.wait_for(
        f"/orders/{PAID_ORDER}/service-request",
        lambda view: any("refund" in entry["action"] for entry in view["audit"]),
        why="the refund is in the audit",
        timeout_s=60,
    )


def leave_a_dead_execution(dynamodb: Any, stack: dict[str, Any], order_id: str, execution_name: str) -> None:
    """What a Lambda timeout mid-workflow leaves behind: the order's automation says running, no such execution runs
    (written with the stack's admin client, as the workflow would have)."""
    dynamodb.update_item(
        TableName=stack["resources"]["InstallationsTable"],
        Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "AUTOMATION"}},
        UpdateExpression="SET #state = :running, execution_name = :ghost",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":running": {"S": "running"}, ":ghost": {"S": execution_name}},
    )


def rerun_after_a_dead_execution(demo: DemoContext) -> None:
    """An automation recorded as running whose execution died unrecorded: the re-run asks Step Functions first."""
    heading("IAM check (d): a re-run after an execution that died without recording its outcome")
    put_order(demo, sample_order(GHOST_ORDER, [order_line(INSTALLATION_SERVICE_ID)]))
    wait_for_automation(demo, GHOST_ORDER)
    leave_a_dead_execution(demo.aws("dynamodb"), demo.stack, GHOST_ORDER, f"{GHOST_ORDER}-never-ran")
    demo.api.call(
        "POST", f"/orders/{GHOST_ORDER}/automation/rerun", expect=202, why="the dead execution blocks nothing"
    )
    wait_for_automation(demo, GHOST_ORDER)


def scheduling(demo: DemoContext) -> None:
    """A crew, its day off, a paid order's request booked on the first free slot, read back and freed."""
    heading("IAM check (e): a crew, a day off and a booking")
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    crew = {
        "name": "IAM check crew",
        "branch_id": "iam-check",
        "skills": ["solar", "hybrid"],
        "working_days": every_day,
    }
    demo.api.call("PUT", f"/crews/{IAM_CREW}", crew, expect=201, why="a new crew")
    demo.api.call("GET", "/crews?branch_id=iam-check")
    put_order(demo, sample_order(SCHEDULED_ORDER, branch_id="iam-check"))
    view = wait_for_automation(demo, SCHEDULED_ORDER)
    request_id = str((view.get("installation_request") or {}).get("id", "?"))
    demo.api.call("GET", f"/installation-requests/{request_id}/slots?days=3")
    booked = demo.api.call("PUT", f"/installation-requests/{request_id}/booking", {}) or {}
    day = str(booked.get("date", "?"))
    demo.api.call("GET", f"/installation-requests/{request_id}/booking")
    demo.api.call("GET", f"/crews/{IAM_CREW}/schedule?from={day}&days=1")
    demo.api.call("PUT", f"/crews/{IAM_CREW}/days-off/{day}", {}, expect=409, why="the crew is booked that day")
    demo.api.call("DELETE", f"/installation-requests/{request_id}/booking", expect=204)
    demo.api.call("PUT", f"/crews/{IAM_CREW}/days-off/{day}", {"reason": "IAM check"})
    demo.api.call("DELETE", f"/crews/{IAM_CREW}/days-off/{day}", expect=204)


def settle(demo: DemoContext) -> None:
    """Nothing is left to sync before the stack stops (so every call the flows caused has been made)."""
    demo.api.wait_for("/opensolar/stats", lambda stats: stats["pending"] == 0, why="no sync is pending", timeout_s=90)


FLOWS = [console_actions, catalog_changes, refund, rerun_after_a_dead_execution, scheduling, settle]
