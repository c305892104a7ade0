"""The soak's phases, in order: catalog and configuration, orders and their automation, refunds, the OpenSolar
sync, webhook deliveries; each timed, each waiting until the stack has done what it was given."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from local.scenarios.sample_catalog import COMPATIBILITY_RULES, INSTALLATION_SERVICE, PRODUCTS, WARRANTY_RULES
from local.scenarios.soak.inputs import STAGE_MAP, WITH_SSR, SoakSize, order_body, webhook_deliveries
from local.scenarios.soak.report import Observed, Report
from local.scenarios.soak.stack_client import RETRIED_STATUSES, RETRIES, WORKERS, StackClient
from local.scenarios.soak.verify import verify


class Soak:
    """One run against one fresh stack (`state`: its stack.json)."""

    def __init__(self, state: dict[str, Any], state_file: Path, size: SoakSize) -> None:
        self.stack = StackClient(state, state_file)
        self.size = size
        self.report = Report()
        self.random = random.Random(size.seed)  # noqa: S311 - a reproducible run, not a secret
        self.seen = Observed()

    def _timed(self, phase: str, run: Callable[[], None]) -> None:
        started = time.monotonic()
        print(f"· {phase} …", flush=True)
        run()
        self.seen.timings[phase] = time.monotonic() - started
        print(f"  {phase}: {self.seen.timings[phase]:.1f} s", flush=True)

    # ------------------------------------------------------------------ set-up
    def configure(self) -> None:
        api = self.stack.api
        for product in (*PRODUCTS, INSTALLATION_SERVICE):
            api("PUT", f"/products/{product['sku']}", product, expect=(201,))
        for rule in COMPATIBILITY_RULES:
            api("POST", "/products/compatibility/rules", rule, expect=(201,))
        for rule in WARRANTY_RULES:
            api("POST", "/warranty-rules", rule, expect=(201,))
        config = api("GET", "/opensolar/config")
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
        api("PUT", "/opensolar/config", {**config, **tuning})
        self.stack.fake("limits", {"window_s": 2.0})
        faults = {
            "rate_429": self.size.rate_429,
            "rate_500": self.size.rate_500,
            "rate_slow": self.size.rate_timeout,
            "slow_ms": 1500,  # past the 1 s timeout: the answer is lost, the call still applied
            "routes": "all",
            "seed": self.size.seed,
        }
        self.stack.fake("faults", faults)

    # ------------------------------------------------------------------ orders
    def _write(self, order_id: str, kind: str) -> None:
        api = self.stack.api
        order = order_body(order_id, kind)
        api("PUT", f"/orders/{order_id}", order, expect=(200, 201))
        if kind == "written_thrice":
            api("PUT", f"/orders/{order_id}", order, expect=(200, 201))  # the CRM's replay
            api("PUT", f"/orders/{order_id}", {**order, "notes": "Gate code 1234."}, expect=(200, 201))

    def write_orders(self) -> None:
        self.seen.orders = {f"SO-SOAK-{n:04d}": kind for n, kind in enumerate(self.size.kinds(), start=1)}
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda item: self._write(*item), self.seen.orders.items()))
        self.stack.wait("every order's automation is done", self._automations_done, timeout_s=600, every_s=3.0)
        self.seen.states = self.stack.automation_states()
        outcomes = Counter((self.seen.orders[order_id], state) for order_id, state in self.seen.states.items())
        print("  " + ", ".join(f"{kind} → {state}: {count}" for (kind, state), count in sorted(outcomes.items())))

    def _automations_done(self) -> bool:
        """Every order started its execution and none still runs (one cheap call; no per-order reads while the
        stack is busy). The workflow records the automation's state before its execution ends."""
        sfn = self.stack.aws("stepfunctions")
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=self.stack.state["state_machine_arn"])
        executions = [execution for page in pages for execution in page["executions"]]
        return len(executions) >= len(self.seen.orders) and not any(e["status"] == "RUNNING" for e in executions)

    def refund(self) -> None:
        refunded = [order_id for order_id, kind in self.seen.orders.items() if kind == "refunded"]
        for order_id in refunded:
            order = order_body(order_id, "refunded")
            self.stack.api("PUT", f"/orders/{order_id}", {**order, "payment_status": "refunded"}, expect=(200,))
        self.stack.wait(
            "every refund is noted (its audit entry is written with its staff notice)",
            lambda: self.stack.count_items("audit", "order_refunded") >= len(refunded),
            timeout_s=120,
            every_s=2.0,
        )

    # ------------------------------------------------------------------ OpenSolar out
    def sync(self) -> None:
        expected = sum(1 for kind in self.seen.orders.values() if kind in WITH_SSR)
        retry_runs: list[dict[str, Any]] = []
        last_retry = 0.0

        def all_synced() -> bool:
            nonlocal last_retry
            projects = self.stack.projects()
            synced = sum(1 for project in projects if project["sync_status"] == "synced")
            failed = sum(1 for project in projects if project["sync_status"] == "failed")
            if failed and time.monotonic() - last_retry > 5:
                retry_runs.append(self.stack.invoke("RetryFailedFunction"))
                last_retry = time.monotonic()
            return len(projects) == expected and synced == expected

        self.stack.wait("every installation request is synced", all_synced, timeout_s=420, every_s=2.0)
        self.report.note("hourly retry runs (compressed)", len(retry_runs))
        self.report.note("failed syncs re-queued by them", sum(run.get("queued", 0) for run in retry_runs))

    # ------------------------------------------------------------------ OpenSolar in
    def deliver_webhooks(self) -> None:
        bodies, self.seen.expected_status = webhook_deliveries(self.size, self.random, self.stack.projects())
        secret = str(self.stack.state["webhook_secret"])
        url = f"{self.stack.state['api_url']}/opensolar/webhook/"

        def post(body: dict[str, Any]) -> tuple[str, int]:
            """The answer OpenSolar ends with (it delivers again after a 5xx), and how many attempts failed."""
            for failed in range(RETRIES + 1):
                answer = requests.post(url, json=body, headers={"X-OpenSolar-Secret": secret}, timeout=60)
                if answer.status_code not in RETRIED_STATUSES or failed == RETRIES:
                    break
                time.sleep(0.2 * 2**failed)
            final = str(answer.json().get("status")) if answer.status_code == 200 else f"HTTP {answer.status_code}"
            return final, failed

        with ThreadPoolExecutor(WORKERS) as pool:
            answers = list(pool.map(post, bodies))
        self.seen.answers = Counter(answer for answer, _ in answers)
        self.seen.webhook_retries = sum(failed for _, failed in answers)
        # A unique delivery whose first attempt was stored before the receiver died: OpenSolar's next attempt is
        # answered "duplicate" (and queued again), so no attempt of it is answered "accepted".
        accepted = {
            (b["model_id"], b["event_id"]) for b, (a, _) in zip(bodies, answers, strict=True) if a == "accepted"
        }
        retried = {(b["model_id"], b["event_id"]) for b, (_, failed) in zip(bodies, answers, strict=True) if failed}
        self.seen.stored_then_died = len(retried - accepted)
        self.seen.unique_deliveries = len({(body["model_id"], body["event_id"]) for body in bodies})
        self.stack.wait("every status is as the newest update says", self._statuses_settled, timeout_s=300, every_s=2.0)

    def _statuses_settled(self) -> bool:
        if self.stack.queue_depth(self.stack.state["resources"]["WebhookQueue"]) > 0:
            return False
        actual = {project["id"]: project["status"] for project in self.stack.projects()}
        return all(actual.get(request_id) == status for request_id, status in self.seen.expected_status.items())

    def run(self) -> Report:
        self._timed("catalog and configuration", self.configure)
        self._timed("orders and their automation", self.write_orders)
        self._timed("refunds", self.refund)
        self._timed("OpenSolar sync", self.sync)
        self._timed("webhook deliveries", self.deliver_webhooks)
        verify(self.stack, self.report, self.size, self.seen)
        return self.report
