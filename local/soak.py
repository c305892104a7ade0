"""`make soak`: the whole system under load and faults, in a fresh local stack, with every outcome counted exactly.

200 paid orders (solar, service-only, incompatible, written three times, refunded after their SSR) go in through the
API while the fake OpenSolar answers 20% of calls with 429, 10% with 500 and makes 5% too slow for our client's
timeout (the answer is lost after the call was applied: the duplicate-project trap). Then 1,000 webhook deliveries
(30% duplicates, shuffled, so older events arrive after newer ones) move the projects through their stages. At the
end the run compares what the inputs imply with what the system holds: SSRs, emails, staff notices, one project per
installation request, every status, nothing pushed back to OpenSolar (no echo), every dead-letter queue empty; it
prints a summary table and writes it to a file. Exit 0 only when every figure matches.

The pacing window is shortened (OpenSolar's 10 writes per 60 s becomes 10 per 2 s, fake and limiter alike) and the
backoffs are seconds, not minutes, so the run fits in minutes; the hourly retry of failed syncs runs whenever some
are failed, as the schedule would, sooner.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from local.moto_server import FAKE_CREDENTIALS
from local.sample_catalog import (
    BATTERY_ID,
    COMPATIBILITY_RULES,
    INSTALLATION_SERVICE,
    INSTALLATION_SERVICE_ID,
    INVERTER_ID,
    PANEL_ID,
    PRODUCTS,
    SMALL_BATTERY_ID,
    WARRANTY_RULES,
    order_line,
    sample_order,
)
from local.stack_process import StackProcess
from local.template import ROOT

KINDS = ("solar", "service_only", "incompatible", "written_thrice", "refunded")
SHARES = {"solar": 0.55, "service_only": 0.15, "incompatible": 0.125, "written_thrice": 0.10, "refunded": 0.075}
WITH_SSR = ("solar", "written_thrice", "refunded")
FINAL_AUTOMATION = ("created", "skipped", "flagged", "failed")
STAGE_MAP = {"7": "scheduled", "8": "in_progress", "9": "in_progress", "10": "completed", "11": "cancelled"}
MILESTONE_OF_STAGE = {6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 4}  # the fake's default workflow
PATCH_PROJECT = "PATCH /api/orgs/{org_id}/projects/{project_id}/"
CREATE_PROJECT = "POST /api/orgs/{org_id}/projects/"
DEAD_LETTER_QUEUES = ("OrderStreamDLQ", "SyncDLQ", "WebhookDLQ")
WORKERS = 4


@dataclass(frozen=True)
class SoakSize:
    orders: int = 200
    deliveries: int = 1000
    duplicate_share: float = 0.3
    rate_429: float = 0.2
    rate_500: float = 0.1
    rate_timeout: float = 0.05
    seed: int = 20261129

    def kinds(self) -> list[str]:
        """The orders' kinds in SHARES' proportions (rounding goes to plain solar orders), shuffled."""
        counts = {kind: int(self.orders * share) for kind, share in SHARES.items()}
        counts["solar"] += self.orders - sum(counts.values())
        kinds = [kind for kind, count in counts.items() for _ in range(count)]
        random.Random(self.seed).shuffle(kinds)  # noqa: S311 - a reproducible mix, not a secret
        return kinds


@dataclass
class Row:
    figure: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        return bool(self.expected == self.actual)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    facts: list[tuple[str, Any]] = field(default_factory=list)

    def check(self, figure: str, expected: Any, actual: Any) -> None:
        self.rows.append(Row(figure, expected, actual))

    def note(self, figure: str, value: Any) -> None:
        self.facts.append((figure, value))

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def markdown(self) -> str:
        lines = ["| figure | expected | actual | |", "| --- | ---: | ---: | --- |"]
        lines += [f"| {row.figure} | {row.expected} | {row.actual} | {'✓' if row.ok else '✗'} |" for row in self.rows]
        lines += ["", "| run | |", "| --- | ---: |"]
        lines += [f"| {figure} | {value} |" for figure, value in self.facts]
        return "\n".join(lines) + "\n"


class SoakError(RuntimeError):
    """The run could not reach a state it waits for in time (the report says how far it got)."""


class Soak:
    """One run against one fresh stack (`state`: its stack.json)."""

    def __init__(self, state: dict[str, Any], state_file: Path, size: SoakSize) -> None:
        self.state = state
        self.state_file = state_file
        self.size = size
        self.report = Report()
        self.random = random.Random(size.seed)  # noqa: S311 - a reproducible run, not a secret
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {state['staff_token']}"
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=WORKERS * 2)
        self.session.mount("http://", adapter)
        self.orders: dict[str, str] = {}  # order id → kind
        self._states: dict[str, str] = {}  # order id → automation state
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ plumbing
    def _api(self, method: str, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> Any:
        answer = self.session.request(method, self.state["api_url"] + path, json=body, timeout=60)
        if answer.status_code not in tuple(expect):
            raise SoakError(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None

    def _fake(self, route: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.state['opensolar_url']}/_control/{route}"
        answer = requests.post(url, json=body, timeout=30) if body is not None else requests.get(url, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def _aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.state["aws_endpoint_url"],
            region_name=self.state["region"],
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def _wait(self, what: str, done: Callable[[], bool], timeout_s: float, every_s: float = 1.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise SoakError(f"timed out after {timeout_s:.0f} s waiting until {what}")
            time.sleep(every_s)

    def _timed(self, phase: str, run: Callable[[], None]) -> None:
        started = time.monotonic()
        print(f"· {phase} …", flush=True)
        run()
        self.timings[phase] = time.monotonic() - started
        print(f"  {phase}: {self.timings[phase]:.1f} s", flush=True)

    # ------------------------------------------------------------------ set-up
    def configure(self) -> None:
        for product in (*PRODUCTS, INSTALLATION_SERVICE):
            self._api("PUT", f"/products/{product['sku']}", product, expect=(201,))
        for rule in COMPATIBILITY_RULES:
            self._api("POST", "/products/compatibility/rules", rule, expect=(201,))
        for rule in WARRANTY_RULES:
            self._api("POST", "/warranty-rules", rule, expect=(201,))
        config = self._api("GET", "/opensolar/config")
        tuning = {
            "api_timeout_s": 1.0,
            "write_limit": 10,
            "write_window_s": 2.0,
            "throttle_backoff_s": 1.0,
            "retry_backoff_s": 0.5,
            "max_retries": 20,
            "retry_batch_limit": 1000,
            "stage_map": STAGE_MAP,
        }
        self._api("PUT", "/opensolar/config", {**config, **tuning})
        self._fake("limits", {"window_s": 2.0})
        faults = {
            "rate_429": self.size.rate_429,
            "rate_500": self.size.rate_500,
            "rate_slow": self.size.rate_timeout,
            "slow_ms": 1500,  # past the 1 s timeout: the answer is lost, the call still applied
            "routes": "all",
            "seed": self.size.seed,
        }
        self._fake("faults", faults)

    # ------------------------------------------------------------------ orders
    def _order(self, order_id: str, kind: str) -> dict[str, Any]:
        lines = {
            "service_only": [order_line(INSTALLATION_SERVICE_ID)],
            "incompatible": [order_line(INVERTER_ID), order_line(SMALL_BATTERY_ID, 4), order_line(PANEL_ID, 10)],
        }.get(kind, [order_line(INVERTER_ID), order_line(BATTERY_ID, 2), order_line(PANEL_ID, 10)])
        return sample_order(order_id, lines, updated_at=None)

    def _write(self, order_id: str, kind: str) -> None:
        order = self._order(order_id, kind)
        self._api("PUT", f"/orders/{order_id}", order, expect=(200, 201))
        if kind == "written_thrice":
            self._api("PUT", f"/orders/{order_id}", order, expect=(200, 201))  # the CRM's replay
            self._api("PUT", f"/orders/{order_id}", {**order, "notes": "Gate code 1234."}, expect=(200, 201))

    def write_orders(self) -> None:
        self.orders = {f"SO-SOAK-{n:04d}": kind for n, kind in enumerate(self.size.kinds(), start=1)}
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda item: self._write(*item), self.orders.items()))
        self._wait("every order's automation is done", self._automations_done, timeout_s=600, every_s=3.0)
        self._states = self._automation_states()
        outcomes = Counter((self.orders[order_id], state) for order_id, state in self._states.items())
        print("  " + ", ".join(f"{kind} → {state}: {count}" for (kind, state), count in sorted(outcomes.items())))

    def _automations_done(self) -> bool:
        """Every order started its execution and none still runs (one cheap call; no per-order reads while the
        stack is busy). The workflow records the automation's state before its execution ends."""
        sfn = self._aws("stepfunctions")
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=self.state["state_machine_arn"])
        executions = [execution for page in pages for execution in page["executions"]]
        return len(executions) >= len(self.orders) and not any(e["status"] == "RUNNING" for e in executions)

    def _items(self, kind: str) -> list[dict[str, Any]]:
        """The Installations table's items of one kind (one scan)."""
        paginator = self._aws("dynamodb").get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.state["resources"]["InstallationsTable"],
            FilterExpression="#kind = :kind",
            ExpressionAttributeNames={"#kind": "kind"},
            ExpressionAttributeValues={":kind": {"S": kind}},
        )
        return [item for page in pages for item in page["Items"]]

    def _count_items(self, kind: str, action: str) -> int:
        return sum(1 for item in self._items(kind) if item.get("action", {}).get("S") == action)

    def _automation_states(self) -> dict[str, str]:
        """Each order's automation state, from the Installations table."""
        return {item["order_id"]["S"]: item["state"]["S"] for item in self._items("automation")}

    def refund(self) -> None:
        refunded = [order_id for order_id, kind in self.orders.items() if kind == "refunded"]
        for order_id in refunded:
            order = self._order(order_id, "refunded")
            self._api("PUT", f"/orders/{order_id}", {**order, "payment_status": "refunded"}, expect=(200,))
        self._wait(
            "every refund is noted (its audit entry is written with its staff notice)",
            lambda: self._count_items("audit", "order_refunded") >= len(refunded),
            timeout_s=120,
            every_s=2.0,
        )

    # ------------------------------------------------------------------ OpenSolar out
    def _projects(self, **query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params = {"limit": "100", **query, **({"next_token": token} if token else {})}
            answer = self.session.get(f"{self.state['api_url']}/opensolar/projects/", params=params, timeout=60)
            page = answer.json()
            items += page["items"]
            token = page.get("next_token")
            if not token:
                return items

    def sync(self) -> None:
        expected = sum(1 for kind in self.orders.values() if kind in WITH_SSR)
        retry_runs: list[dict[str, Any]] = []
        last_retry = 0.0

        def all_synced() -> bool:
            nonlocal last_retry
            projects = self._projects()
            synced = sum(1 for project in projects if project["sync_status"] == "synced")
            failed = sum(1 for project in projects if project["sync_status"] == "failed")
            if failed and time.monotonic() - last_retry > 5:
                retry_runs.append(self._invoke("RetryFailedFunction"))
                last_retry = time.monotonic()
            return len(projects) == expected and synced == expected

        self._wait("every installation request is synced", all_synced, timeout_s=420, every_s=2.0)
        self.report.note("hourly retry runs (compressed)", len(retry_runs))
        self.report.note("failed syncs re-queued by them", sum(run.get("queued", 0) for run in retry_runs))

    def _invoke(self, function: str) -> dict[str, Any]:
        command = [sys.executable, "-m", "local", "invoke", function, "--state-file", str(self.state_file)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 - our own interpreter and arguments, no shell
        result: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}
        return result

    # ------------------------------------------------------------------ OpenSolar in
    def deliveries(self, projects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Unique project updates (stages only move forward in time) and their duplicates, shuffled; and each
        installation request's status once the newest of its updates is applied."""
        unique = round(self.size.deliveries * (1 - self.size.duplicate_share))
        per_project = [unique // len(projects) + (1 if n < unique % len(projects) else 0) for n in range(len(projects))]
        updates: list[dict[str, Any]] = []
        expected: dict[str, str] = {}
        start = int(time.time()) - 3600  # an hour ago, in OpenSolar: no echo of anything we pushed
        event_id = 900_000
        for project, count in zip(projects, per_project, strict=True):
            stages = sorted(self.random.choice((6, 7, 8, 9, 10)) for _ in range(count))
            if stages and stages[-1] != 10 and self.random.random() < 0.15:
                stages[-1] = 11  # cancelled in OpenSolar
            status = "pending"
            for step, stage in enumerate(stages):
                event_id += 1
                updates.append(
                    {
                        "timestamp": str(start + step * 60),
                        "model": "Project",
                        "model_id": int(project["opensolar_project_id"]),
                        "identifier": project["id"],
                        "event": "UPDATE",
                        "event_id": event_id,
                        "fields": {
                            "id": int(project["opensolar_project_id"]),
                            "identifier": project["id"],
                            "stage": MILESTONE_OF_STAGE[stage],
                            "workflow": {"workflow_id": 1, "active_stage_id": stage},
                        },
                    }
                )
                status = STAGE_MAP.get(str(stage), "pending")
            expected[project["id"]] = status
        duplicates = [self.random.choice(updates) for _ in range(self.size.deliveries - len(updates))]
        everything = updates + duplicates
        self.random.shuffle(everything)
        return everything, expected

    def deliver_webhooks(self) -> None:
        projects = self._projects()
        bodies, self._expected_status = self.deliveries(projects)
        secret = str(self.state["webhook_secret"])
        url = f"{self.state['api_url']}/opensolar/webhook/"

        def post(body: dict[str, Any]) -> str:
            answer = requests.post(url, json=body, headers={"X-OpenSolar-Secret": secret}, timeout=60)
            return str(answer.json().get("status")) if answer.status_code == 200 else f"HTTP {answer.status_code}"

        with ThreadPoolExecutor(WORKERS) as pool:
            self._answers = Counter(pool.map(post, bodies))
        self._unique = len({(body["model_id"], body["event_id"]) for body in bodies})
        self._wait("every status is as the newest update says", self._statuses_settled, timeout_s=300, every_s=2.0)

    def _statuses_settled(self) -> bool:
        if self._queue_depth(self.state["resources"]["WebhookQueue"]) > 0:
            return False
        actual = {project["id"]: project["status"] for project in self._projects()}
        return all(actual.get(request_id) == status for request_id, status in self._expected_status.items())

    def _queue_depth(self, url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self._aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return sum(int(attributes[name]) for name in names)

    # ------------------------------------------------------------------ what the system holds
    def _sent(self, what: str, **params: str) -> list[dict[str, Any]]:
        """What SES or SNS really sent (the stack's readback of moto's backends)."""
        answer = requests.get(f"{self.state['readback_url']}/{what}", params=params, timeout=60)
        answer.raise_for_status()
        sent: list[dict[str, Any]] = answer.json()
        return sent

    @staticmethod
    def _notices(notices: list[dict[str, Any]], containing: str) -> list[str]:
        return [notice["subject"] for notice in notices if containing in (notice["subject"] or "")]

    def verify(self) -> None:
        kinds = Counter(self.orders.values())
        with_ssr = sum(kinds[kind] for kind in WITH_SSR)
        report = self.report
        states = Counter(self._states.values())
        report.check("orders written", self.size.orders, len(self.orders))
        report.check("automation created (one SSR each)", with_ssr, states["created"])
        report.check("automation skipped (nothing solar)", kinds["service_only"], states["skipped"])
        report.check("automation flagged (incompatible)", kinds["incompatible"], states["flagged"])
        report.check("automation failed", 0, states["failed"])
        emails = Counter(message["subject"] for message in self._sent("emails"))
        data = self._sent("notices", topic=self.state["resources"]["StaffNotificationsTopic"])
        report.check("confirmation emails", with_ssr, sum(emails.values()))
        report.check("orders emailed twice", 0, sum(1 for count in emails.values() if count > 1))
        report.check("staff notices: new SSR", with_ssr, len(self._notices(data, "New SSR")))
        report.check("staff notices: flagged", kinds["incompatible"], len(self._notices(data, "flagged")))
        report.check("staff notices: refunded", kinds["refunded"], len(self._notices(data, "refunded after SSR")))
        fake_projects = self._fake("projects")
        identifiers = Counter(project["identifier"] for project in fake_projects)
        report.check("OpenSolar projects", with_ssr, len(fake_projects))
        report.check("duplicate projects", 0, sum(count - 1 for count in identifiers.values()))
        projects = {project["id"]: project for project in self._projects()}
        report.check(
            "installation requests synced", with_ssr, sum(p["sync_status"] == "synced" for p in projects.values())
        )
        report.check("webhook deliveries accepted", self._unique, self._answers["accepted"])
        report.check(
            "webhook deliveries answered duplicate", self.size.deliveries - self._unique, self._answers["duplicate"]
        )
        report.check(
            "webhook deliveries refused",
            0,
            sum(n for s, n in self._answers.items() if s not in ("accepted", "duplicate")),
        )
        wrong = [rid for rid, status in self._expected_status.items() if projects[rid]["status"] != status]
        report.check("statuses not as the newest update says", 0, len(wrong))
        final = Counter(self._expected_status.values())
        for status in ("pending", "scheduled", "in_progress", "completed", "cancelled"):
            report.check(
                f"installation requests {status}", final[status], sum(p["status"] == status for p in projects.values())
            )
        stats = self._fake("stats")
        report.check("pushed back to OpenSolar (echoes)", 0, stats["calls"].get(PATCH_PROJECT, 0))
        for logical_id in DEAD_LETTER_QUEUES:
            report.check(f"left in {logical_id}", 0, self._queue_depth(self.state["resources"][logical_id]))
        self._note_load(stats)

    def _note_load(self, stats: dict[str, Any]) -> None:
        report = self.report
        injected = stats.get("faults_injected", {})
        report.note(
            "webhook deliveries (unique + duplicates)",
            f"{self.size.deliveries} ({self._unique} + {self.size.deliveries - self._unique})",
        )
        report.note("OpenSolar calls", stats["total"])
        report.note(
            "faults injected: 429 / 500 / too slow",
            f"{injected.get('429', 0)} / {injected.get('500', 0)} / {injected.get('slow', 0)}",
        )
        creates = stats["statuses"].get(CREATE_PROJECT, {})
        report.note("project creates answered (by status)", json.dumps(dict(sorted(creates.items()))))
        ours = self._api("GET", "/opensolar/stats")
        report.note("sync success rate (attempts)", ours["sync_success_rate"])
        report.note("average sync time (ms)", ours["avg_sync_ms"])
        report.note("webhook processing errors (24 h)", ours["webhook_errors_24h"])
        for phase, seconds in self.timings.items():
            report.note(f"{phase} (s)", f"{seconds:.1f}")

    def run(self) -> Report:
        self._timed("catalog and configuration", self.configure)
        self._timed("orders and their automation", self.write_orders)
        self._timed("refunds", self.refund)
        self._timed("OpenSolar sync", self.sync)
        self._timed("webhook deliveries", self.deliver_webhooks)
        self.verify()
        return self.report


def run_soak(size: SoakSize, report_path: Path | None) -> int:
    """Start a fresh stack, run the soak, stop the stack; 0 when every figure matches."""
    with tempfile.TemporaryDirectory(prefix="solar-soak-") as workdir:
        state_file = Path(workdir) / "stack.json"
        stack = StackProcess(state_file, Path(workdir) / "stack.log")
        print(f"Soak: {size.orders} orders, {size.deliveries} webhook deliveries; starting a fresh local stack…")
        state = stack.start()
        soak = Soak(state, state_file, size)
        started = time.monotonic()
        try:
            report = soak.run()
        except SoakError as error:
            print(f"✗ {error}\nThe stack's log (last lines):\n{stack.log_tail()}", flush=True)
            return 1
        finally:
            exit_code = stack.stop()
        report.note("whole run (s)", f"{time.monotonic() - started:.1f}")
    table = report.markdown()
    print()
    print(table)
    if report_path:
        header = f"# Soak: {size.orders} orders, {size.deliveries} webhook deliveries (seed {size.seed})\n\n"
        report_path.write_text(header + table)
        print(f"written to {report_path}")
    ok = report.ok and exit_code == 0
    print("Every figure matches." if ok else "✗ some figures do not match (or the stack did not stop cleanly).")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=SoakSize.orders)
    parser.add_argument("--deliveries", type=int, default=SoakSize.deliveries)
    parser.add_argument("--seed", type=int, default=SoakSize.seed)
    parser.add_argument("--report", type=Path, help="write the summary table here (markdown)")
    arguments = parser.parse_args(argv)
    size = SoakSize(orders=arguments.orders, deliveries=arguments.deliveries, seed=arguments.seed)
    return run_soak(size, arguments.report)


if __name__ == "__main__":
    sys.exit(main())
