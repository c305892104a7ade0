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
AWS_FAULTS = {
    "throttle": "throttling",
    "server_error": "5xx",
    "lost_answer": "answer lost after the request was applied",
    "crash": "invocation crashed after its k-th AWS call",
    "timeout": "invocation timed out",
    "sqs_twice": "SQS message delivered twice",
    "stream_again": "stream batch delivered again after it succeeded",
    "task_answer_lost": "workflow task retried after its answer was lost",
}
STATUSES = ("pending", "scheduled", "in_progress", "completed", "cancelled")


def _in_doubt(faults: dict[str, Any], operation: str) -> tuple[int, int]:
    """How many times `operation` (a side effect with no idempotency key) was applied and then its caller could not
    know it: (the invocation died right after it, its answer was lost and botocore sent it again)."""
    died = sum(n for key, n in faults.get("died_after", {}).items() if key.endswith(f" {operation}"))
    return died, int(faults.get("by_operation", {}).get(f"lost_answer {operation}", 0))


def _effects_in_doubt(faults: dict[str, Any], operation: str) -> int:
    return sum(_in_doubt(faults, operation))


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
    faults = stack.aws_faults()
    emails = Counter(message["subject"] for message in stack.sent("emails"))
    data = stack.sent("notices", topic=stack.state["resources"]["StaffNotificationsTopic"])
    sent_twice = _effects_in_doubt(faults, "sesv2:SendEmail")
    report.check(
        "confirmation emails (one per SSR, plus the repeats below)", with_ssr + sent_twice, sum(emails.values())
    )
    report.check(
        "orders emailed twice (one per crash or lost answer right after SES sent)",
        sent_twice,
        sum(count - 1 for count in emails.values()),
    )
    report.check("orders never emailed", 0, with_ssr - len(emails))
    published_twice = _effects_in_doubt(faults, "sns:Publish")
    notices = Counter(notice["subject"] for notice in data)
    report.check("staff notices: new SSR", with_ssr, len({s for s in notices if "New SSR" in (s or "")}))
    report.check("staff notices: flagged", kinds["incompatible"], len({s for s in notices if "flagged" in (s or "")}))
    refunded = len({s for s in notices if "refunded after SSR" in (s or "")})
    report.check("staff notices: refunded", kinds["refunded"], refunded)
    report.check(
        "staff notices published twice (one per crash or lost answer right after SNS published)",
        published_twice,
        sum(count - 1 for count in notices.values()),
    )
    fake_projects = stack.fake("projects")
    identifiers = Counter(project["identifier"] for project in fake_projects)
    report.check("OpenSolar projects", with_ssr, len(fake_projects))
    report.check("duplicate projects", 0, sum(count - 1 for count in identifiers.values()))
    projects = {project["id"]: project for project in stack.projects()}
    report.check("installation requests synced", with_ssr, sum(p["sync_status"] == "synced" for p in projects.values()))
    answers, unique = seen.answers, seen.unique_deliveries
    died = seen.stored_then_died
    report.check("webhook deliveries accepted", unique - died, answers["accepted"])
    report.check("webhook deliveries answered duplicate", size.deliveries - unique + died, answers["duplicate"])
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
        url = stack.state["resources"][logical_id]
        report.check(f"left in {logical_id}", 0, stack.queue_depth(url))
        reasons = stack.parked_reasons(url)
        report.check(f"{logical_id}: messages with no parked reason (unexplained)", 0, reasons.pop("", 0))
        for reason, count in sorted(reasons.items()):
            report.note(f"{logical_id}: parked because {reason}", count)
    _note_load(stack, report, size, seen, stats)
    _note_aws_faults(report, faults, stack, seen)


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


def _note_aws_faults(report: Report, faults: dict[str, Any], stack: StackClient, seen: Observed) -> None:
    injected = faults.get("injected", {})
    for kind, label in AWS_FAULTS.items():
        report.note(f"AWS faults injected: {label}", injected.get(kind, 0))
    for operation, what in (("sesv2:SendEmail", "SES sends"), ("sns:Publish", "SNS publishes")):
        died, lost = _in_doubt(faults, operation)
        report.note(f"{what} in doubt: the function died right after / the answer was lost", f"{died} / {lost}")
    report.note("API requests retried after a 5xx (by status)", json.dumps(dict(sorted(stack.retried.items()))))
    report.note("webhook deliveries made again after a 5xx", seen.webhook_retries)
    report.note(
        "first deliveries stored before the receiver died (answered duplicate when made again)", seen.stored_then_died
    )
