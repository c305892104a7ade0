"""`make demo`, the paid-order automation: a paid order becomes its SSR once; skipped, flagged and unpaid orders;
staff re-run a flagged order after its fix."""

from __future__ import annotations

from typing import Any

from local.aws.readback import email_text, executions_for_order, sent_emails, staff_notices, state_visits
from local.scenarios.demo.client import heading, short_json
from local.scenarios.demo.context import PAID_ORDER, DemoContext, pick, put_order, show, wait_for_automation
from local.scenarios.sample_catalog import (
    BATTERY_ID,
    INSTALLATION_SERVICE_ID,
    INVERTER_ID,
    PANEL_ID,
    SMALL_BATTERY_ID,
    complete_system_lines,
    order_line,
    sample_order,
)

SERVICE_ONLY_ORDER = "SO-DEMO-1002"
INCOMPATIBLE_ORDER = "SO-DEMO-1003"
UNPAID_ORDER = "SO-DEMO-1004"
INVERTER_SERIAL = "INV5K-2026-0001"
WORKFLOW_STATES = ["LoadOrder", "HasSolarLines", "ValidateCompatibility", "IsCompatible", "CreateRecords", "Fulfil"]


def _executions(demo: DemoContext, order_id: str) -> list[dict[str, Any]]:
    return executions_for_order(demo.aws("stepfunctions"), demo.stack["state_machine_arn"], order_id)


def _emails(demo: DemoContext, order_id: str) -> list[dict[str, Any]]:
    return sent_emails(demo.stack["aws_endpoint_url"], f"Order Confirmation - {order_id}")


def _staff_notices(demo: DemoContext, order_id: str) -> list[dict[str, Any]]:
    topic_arn = demo.stack["resources"]["StaffNotificationsTopic"]
    return staff_notices(demo.stack["aws_endpoint_url"], topic_arn, order_id)


def _wait_until_the_stream_has_passed(demo: DemoContext, marker_id: str) -> None:
    """The filter drops the write just made, so it leaves nothing to wait for; but the stream is handled in order,
    so once a later order's automation is done, the earlier write has been handled too."""
    print("\n  (nothing to wait for: the stream filter drops that write; stream records are handled in order, so a")
    print(f"   service-only marker order {marker_id} is written and, once its automation is done, so is the write)")
    marker = sample_order(marker_id, [order_line(INSTALLATION_SERVICE_ID)])
    demo.api.call("PUT", f"/orders/{marker_id}", marker, expect=201, show=lambda stored: pick(stored, "order_id"))
    wait_for_automation(demo, marker_id)


def _show_service_request(view: dict[str, Any]) -> None:
    show("automation", view["automation"])
    show("SSR", pick(view["ssr"], "ssr_id", "status", "system_size_kw", "system_type"))
    request = pick(view["installation_request"], "id", "status", "installation_type", "customer_name")
    show("installation request", request)
    if view["warranties"]:
        print("  warranties")
    for warranty in view["warranties"]:
        serial = warranty.get("serial_number") or "-"
        print(
            f"    {warranty['product_id']:<11} serial {serial:<16} {warranty['duration_days']:>4} days  "
            f"{warranty['start_date']} → {warranty['end_date']}"
        )
    show("audit", [entry["action"] for entry in view.get("audit", [])])


def _show_email(demo: DemoContext, order_id: str, ssr_id: str) -> None:
    print("\n  The confirmation email, as SES (moto) captured it:")
    emails = _emails(demo, order_id)
    for email in emails:
        print(f"    From: {email['source']}   To: {', '.join(email['destinations']['ToAddresses'])}")
        print(f"    Subject: {email['subject']}")
        for line in email_text(email["body"]):
            print(f"    | {line}")
    demo.api.verify(len(emails) == 1, f"one email 'Order Confirmation - {order_id}'")
    demo.api.verify(any(ssr_id in email["body"] for email in emails), f"the email names the SSR {ssr_id}")


def _show_staff_notice(demo: DemoContext, order_id: str) -> list[dict[str, Any]]:
    print("\n  The staff notice, as SNS (moto) got it on the staff topic:")
    notices = _staff_notices(demo, order_id)
    for notice in notices:
        print(f"    Subject: {notice['subject']}")
        for line in notice["message"].splitlines():
            print(f"    | {line}")
        attributes = {name: attribute["Value"] for name, attribute in notice["attributes"].items()}
        print(f"    Message attributes: {short_json(attributes)}")
    return notices


def _show_execution(demo: DemoContext, order_id: str) -> None:
    print("\n  The Step Functions execution (state machine from stack.json), state by state:")
    executions = _executions(demo, order_id)
    if not demo.api.verify(len(executions) == 1, "one execution, named after the order"):
        return
    (execution,) = executions
    took = (execution["stopDate"] - execution["startDate"]).total_seconds() * 1000
    print(f"    {execution['name']}: {execution['status']} in {took:.0f} ms")
    print(f"    {'state':<28} {'entered':>8} {'exited':>8} {'took':>7}")
    visits = state_visits(demo.aws("stepfunctions"), execution["executionArn"])
    for visit in visits:
        name = "  " * visit.depth + visit.name
        exited = "" if visit.exited_ms is None else f"+{visit.exited_ms} ms"
        took_ms = "" if visit.took_ms is None else f"{visit.took_ms} ms"
        print(f"    {name:<28} {'+' + str(visit.entered_ms) + ' ms':>8} {exited:>8} {took_ms:>7}")
    entered = [visit.name for visit in visits]
    demo.api.verify(
        execution["status"] == "SUCCEEDED" and entered[: len(WORKFLOW_STATES)] == WORKFLOW_STATES,
        "SUCCEEDED: loaded, checked, created the records, then the side effects in parallel",
    )
    demo.api.verify(entered[-1:] == ["Created"], "it ended in Created")


def paid_order_automation(demo: DemoContext) -> None:
    """Orders that become closed_won and paid: one SSR each, exactly once; skipped, flagged and unpaid orders."""
    api = demo.api
    heading("Automation (a): a paid order becomes an SSR")
    print("The CRM saves John Doe's order for the 5kW Complete System as closed_won and paid. The Orders stream")
    print("hands it to order_paid_handler, which starts the SSR workflow (Step Functions) named after the order.")
    put_order(demo, sample_order(PAID_ORDER, complete_system_lines([INVERTER_SERIAL])))
    view = wait_for_automation(demo, PAID_ORDER)
    _show_service_request(view)
    ssr, request = view["ssr"] or {}, view["installation_request"] or {}
    api.verify(view["automation"]["state"] == "created", "automation state: created")
    api.verify(
        (ssr.get("status"), ssr.get("system_size_kw"), ssr.get("system_type")) == ("PENDING", 5.0, "hybrid"),
        "SSR PENDING, 5.0 kW, hybrid (the inverter's specs say hybrid)",
    )
    api.verify(
        (request.get("customer_name"), request.get("installation_type")) == ("John Doe", "hybrid"),
        "installation request for John Doe",
    )
    durations = {warranty["product_id"]: warranty["duration_days"] for warranty in view["warranties"]}
    serials = [
        warranty.get("serial_number") for warranty in view["warranties"] if warranty["product_id"] == INVERTER_ID
    ]
    api.verify(
        durations == {INVERTER_ID: 730, BATTERY_ID: 365, PANEL_ID: 365} and serials == [INVERTER_SERIAL],
        "warranties: the inverter's serial 730 days (category rule), the battery and panel lines 365 (default)",
    )
    ssr_id = ssr.get("ssr_id", "?")
    _show_email(demo, PAID_ORDER, ssr_id)
    notices = _show_staff_notice(demo, PAID_ORDER)
    api.verify(
        len(notices) == 1 and notices[0]["attributes"].get("branch", {}).get("Value") == "harare",
        "one staff notice, with the message attribute branch=harare (staff subscribe per branch)",
    )
    _show_execution(demo, PAID_ORDER)

    heading("Automation (b): the CRM saves the paid order again")
    resaved = sample_order(PAID_ORDER, complete_system_lines([INVERTER_SERIAL]), notes="Gate code 1234.")
    put_order(demo, resaved, expect=200, why="replaced (only the notes changed)")
    _wait_until_the_stream_has_passed(demo, "SO-DEMO-MARK-1")
    api.call(
        "GET",
        f"/orders/{PAID_ORDER}/service-request",
        check=lambda again: (again["ssr"] or {}).get("ssr_id") == ssr_id,
        why="still the same SSR",
        show=lambda again: {"ssr": pick(again["ssr"], "ssr_id"), "automation": again["automation"]},
    )
    api.verify(len(_executions(demo, PAID_ORDER)) == 1, "still one execution")
    api.verify(len(_emails(demo, PAID_ORDER)) == 1, "still one email")
    api.verify(len(_staff_notices(demo, PAID_ORDER)) == 1, "still one staff notice")

    heading("Automation (c): a paid order with nothing solar in it is skipped")
    put_order(demo, sample_order(SERVICE_ONLY_ORDER, [order_line(INSTALLATION_SERVICE_ID)]))
    view = wait_for_automation(demo, SERVICE_ONLY_ORDER)
    show("automation", view["automation"])
    show("SSR", view["ssr"])
    api.verify(view["automation"]["state"] == "skipped" and view["ssr"] is None, "skipped, no SSR")
    api.verify(not _emails(demo, SERVICE_ONLY_ORDER), "no email")

    heading("Automation (d): a battery too small for the inverter is flagged")
    items = [order_line(INVERTER_ID), order_line(SMALL_BATTERY_ID, 4), order_line(PANEL_ID, 10)]
    put_order(demo, sample_order(INCOMPATIBLE_ORDER, items))
    view = wait_for_automation(demo, INCOMPATIBLE_ORDER)
    show("automation", view["automation"])
    show("SSR", view["ssr"])
    api.verify(
        view["automation"]["state"] == "flagged" and view["ssr"] is None,
        "flagged, no SSR (staff fix the order, then re-run it: Operations (a))",
    )
    api.call(
        "GET",
        f"/orders/{INCOMPATIBLE_ORDER}",
        check=lambda order: "Battery too small for inverter" in order["notes"],
        why="the flag is written into the order's notes, where sales staff see it",
        show=lambda order: {"notes": order["notes"]},
    )
    flags = _staff_notices(demo, INCOMPATIBLE_ORDER)
    for notice in flags:
        show("staff notice", notice["subject"])
    api.verify(len(flags) == 1 and not _emails(demo, INCOMPATIBLE_ORDER), "one staff notice, no customer email")

    heading("Automation (e): a won order that is not paid yet starts nothing")
    put_order(demo, sample_order(UNPAID_ORDER, payment_status="pending"))
    _wait_until_the_stream_has_passed(demo, "SO-DEMO-MARK-2")
    api.call("GET", f"/orders/{UNPAID_ORDER}/service-request", expect=404, why="the automation never started")
    api.verify(not _executions(demo, UNPAID_ORDER), "no execution")


def flagged_order_rerun(demo: DemoContext) -> None:
    """The way forward for a flagged order: staff fix it and re-run its automation; the records are made once."""
    api = demo.api
    heading("Operations (a): staff fix the flagged order and re-run its automation")
    print("The order stays closed_won + paid, so writing it again starts nothing: staff re-run it instead.")
    api.call("POST", f"/orders/{UNPAID_ORDER}/automation/rerun", expect=422, why="not paid: nothing to run")
    api.call("POST", f"/orders/{PAID_ORDER}/automation/rerun", expect=409, why="it has its SSR already")
    fixed = [order_line(INVERTER_ID), order_line(BATTERY_ID, 2), order_line(PANEL_ID, 10)]
    put_order(demo, sample_order(INCOMPATIBLE_ORDER, fixed), expect=200, why="battery corrected")
    started = api.call(
        "POST",
        f"/orders/{INCOMPATIBLE_ORDER}/automation/rerun",
        expect=202,
        why="a new execution, named after the order and the attempt",
    )
    view = wait_for_automation(demo, INCOMPATIBLE_ORDER)
    _show_service_request(view)
    names = sorted(execution["name"] for execution in _executions(demo, INCOMPATIBLE_ORDER))
    show("executions", names)
    api.verify(
        view["automation"]["state"] == "created" and (started or {}).get("execution") in names and len(names) == 2,
        "created on the re-run: the flagged first run and the re-run are both in the Step Functions console",
    )
    reruns = [entry for entry in view.get("audit", []) if entry["action"] == "automation_rerun"]
    for entry in reruns:
        show("audit", entry["detail"])
    api.verify(len(reruns) == 1 and len(_emails(demo, INCOMPATIBLE_ORDER)) == 1, "audited once, one email")
