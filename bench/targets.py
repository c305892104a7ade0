"""The performance targets (issue: Performance), each figure beside its target and ✓/✗, from one bench run; printed,
kept in bench/results.json, and written into docs/performance.md between its `bench:targets` markers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PERFORMANCE_PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
_BLOCK = re.compile(r"(<!-- bench:targets:start -->\n).*?(<!-- bench:targets:end -->)", re.DOTALL)


def _row(figure: str, value: float | str, target: str, ok: bool | None) -> dict[str, Any]:
    return {"figure": figure, "value": value, "target": target, "met": ok}


def _at_most(
    figure: str, value: float, limit: float, target: str | None = None, digits: int | None = None
) -> dict[str, Any]:
    """A figure met when at most `limit` (judged on the unrounded value; shown to `digits` when given)."""
    shown = round(value, digits) if digits is not None else value
    return _row(figure, shown, target or f"≤ {limit:g}", value <= limit)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    imports = results["cold_import_ms_median_of_10"]
    floor = imports["import boto3"]
    ratios = {name.split()[1].removesuffix(".app"): ms / floor for name, ms in imports.items() if name.endswith(".app")}
    receiver = ratios.pop("webhook_receiver")
    slowest = max(ratios, key=lambda name: ratios[name])
    webhooks = results["opensolar_webhooks"]["in_process_on_moto"]
    order = results["paid_order_in_process_on_moto"]
    sync = results["opensolar_out_in_process"]["normal_case"]
    costs = results["cost_estimate"]
    booking = results["scheduling_in_process_on_moto"]
    return [
        _at_most("cold import of webhook_receiver / bare `import boto3`", receiver, 1.4, "≤ 1.4x", digits=2),
        _at_most(
            f"cold import of every other function / boto3 (slowest: {slowest})",
            ratios[slowest],
            1.8,
            "≤ 1.8x",
            digits=2,
        ),
        _at_most(
            "webhook acknowledged: receiver p50 over a bare-boto3 floor making the same calls (ms, moto)",
            webhooks["receiver_over_floor_p50_ms"],
            2,
            "≤ 2 ms",
        ),
        _at_most("AWS API calls per paid order, end to end", order["aws_api_calls_total"], 20),
        _at_most("Step Functions state transitions per paid order", order["state_transitions"], 12),
        _at_most(
            "OpenSolar calls per synced installation request (normal case)",
            sync["opensolar_calls_per_request"],
            1,
            "1",
        ),
        _at_most("AWS calls per booking of a chosen slot (warm)", booking["aws_calls_per_booking"], 4),
        _row(
            "AWS calls per automatic booking (warm: its slots query, then the booking)",
            booking["aws_calls_per_automatic_booking"],
            "reported",
            None,
        ),
        _row(
            "AWS calls per 14-day slots query (5 crews in the branch)",
            booking["aws_calls_per_slots_query_14_days"],
            "reported",
            None,
        ),
        _row("estimated AWS cost per 1,000 paid orders (USD)", costs["per_1000_paid_orders_usd"], "reported", None),
        _row("estimated AWS cost per 10,000 webhooks (USD)", costs["per_10000_webhooks_usd"], "reported", None),
    ]


def markdown(rows: list[dict[str, Any]], measured_at: str) -> str:
    lines = [
        f"Last `make bench` run: {measured_at}.",
        "",
        "| figure | value | target | |",
        "| --- | ---: | ---: | --- |",
    ]
    marks = {True: "✓", False: "✗", None: ""}
    lines += [f"| {r['figure']} | {r['value']} | {r['target']} | {marks[r['met']]} |" for r in rows]
    return "\n".join(lines) + "\n"


def write_into_page(table: str, page: Path = PERFORMANCE_PAGE) -> bool:
    """Replace the page's block between the markers; False when the markers are missing."""
    text = page.read_text()
    if not _BLOCK.search(text):
        return False
    page.write_text(_BLOCK.sub(lambda match: match.group(1) + table + match.group(2), text))
    return True
