"""What the system holds at the end of a soak, against what its inputs imply: SSRs, emails, staff notices, one
project per installation request, every status, no echo, every dead-letter queue empty; and the run's load."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from local.scenarios.soak.inputs import WITH_SSR, SoakSize
from local.scenarios.soak.report import Observed, Report
from local.scenarios.soak.stack_client import StackClient

PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
CREATE_PROJECT = "POST /api/orgs/{org_id}/projects/"
DEAD_LETTER_QUEUES = ("OrderStreamDLQ", "SyncDLQ", "WebhookDLQ")
STATUSES = ("pending", "scheduled", "in_progress", "completed", "cancelled")


def _notices(notices: list[dict[str, Any]], containing: str) -> list[str]:
    return [notice["subject"] for notice in notices if containing in (notice["subject"] or "")]


def verify(stack: StackClient, report: Report, size: SoakSize, seen: Observed) -> None:
    """Every figure of the report's first table, then the facts of the run."""
    kinds = Counter(seen.orders.values())
    with_ssr = sum(kinds[kind] for kind in WITH_SSR)
    states = Counter(seen.states.values())
    report.check("orders written", size.orders, len(seen.orders))
    report.check("automation created (one SSR each)", with_ssr, states["created"])
    report.check("automation skipped (nothing solar)", kinds["service_only"], states["skipped"])
    report.check("automation flagged (incompatible)", kinds["incompatible"], states["flagged"])
    report.check("automation failed", 0, states["failed"])
    emails = Counter(message["subject"] for message in stack.sent("emails"))
    data = stack.sent("notices", topic=stack.state["resources"]["StaffNotificationsTopic"])
    report.check("confirmation emails", with_ssr, sum(emails.values()))
    report.check("orders emailed twice", 0, sum(1 for count in emails.values() if count > 1))
    report.check("staff notices: new SSR", with_ssr, len(_notices(data, "New SSR")))
    report.check("staff notices: flagged", kinds["incompatible"], len(_notices(data, "flagged")))
    report.check("staff notices: refunded", kinds["refunded"], len(_notices(data, "refunded after SSR")))
    fake_projects = stack.fake("projects")
    identifiers = Counter(project["identifier"] for project in fake_projects)
    report.check("OpenSolar projects", with_ssr, len(fake_projects))
    report.check("duplicate projects", 0, sum(count - 1 for count in identifiers.values()))
    projects = {project["id"]: project for project in stack.projects()}
    report.check("installation requests synced", with_ssr, sum(p["sync_status"] == "synced" for p in projects.values()))
    answers, unique = seen.answers, seen.unique_deliveries
    report.check("webhook deliveries accepted", unique, answers["accepted"])
    report.check("webhook deliveries answered duplicate", size.deliveries - unique, answers["duplicate"])
    refused = sum(n for s, n in answers.items() if s not in ("accepted", "duplicate"))
    report.check("webhook deliveries refused", 0, refused)
    wrong = [rid for rid, status in seen.expected_status.items() if projects[rid]["status"] != status]
    report.check("statuses not as the newest update says", 0, len(wrong))
    final = Counter(seen.expected_status.values())
    for status in STATUSES:
        actual = sum(p["status"] == status for p in projects.values())
        report.check(f"installation requests {status}", final[status], actual)
    stats = stack.fake("stats")
    report.check("pushed back to OpenSolar (echoes)", 0, stats["calls"].get(PATCH_PROJECT, 0))
    for logical_id in DEAD_LETTER_QUEUES:
        report.check(f"left in {logical_id}", 0, stack.queue_depth(stack.state["resources"][logical_id]))
    _note_load(stack, report, size, seen, stats)


def _note_load(stack: StackClient, report: Report, size: SoakSize, seen: Observed, stats: dict[str, Any]) -> None:
    unique = seen.unique_deliveries
    injected = stats.get("faults_injected", {})
    report.note(
        "webhook deliveries (unique + duplicates)", f"{size.deliveries} ({unique} + {size.deliveries - unique})"
    )
    report.note("OpenSolar calls", stats["total"])
    report.note(
        "faults injected: 429 / 500 / too slow",
        f"{injected.get('429', 0)} / {injected.get('500', 0)} / {injected.get('slow', 0)}",
    )
    creates = stats["statuses"].get(CREATE_PROJECT, {})
    report.note("project creates answered (by status)", json.dumps(dict(sorted(creates.items()))))
    ours = stack.api("GET", "/opensolar/stats")
    report.note("sync success rate (attempts)", ours["sync_success_rate"])
    report.note("average sync time (ms)", ours["avg_sync_ms"])
    report.note("webhook processing errors (24 h)", ours["webhook_errors_24h"])
    for phase, seconds in seen.timings.items():
        report.note(f"{phase} (s)", f"{seconds:.1f}")
