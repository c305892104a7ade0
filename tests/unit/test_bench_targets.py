"""The bench's targets table and cost model (bench/targets.py, bench/costs.py) compute what they say, from a run's
figures; the block they rewrite in docs/performance.md is found and replaced, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import costs, targets


def run(**changes: Any) -> dict[str, Any]:
    results: dict[str, Any] = {
        "measured_at": "2026-11-29T00:00:00+00:00",
        "cold_import_ms_median_of_10": {
            "import boto3": 200.0,
            "import webhook_receiver.app": 270.0,
            "import catalog_api.app": 350.0,
            "import projects_api.app": 380.0,
        },
        "paid_order_in_process_on_moto": {
            "aws_api_calls_total": 20,
            "state_transitions": 12,
            "lambda_invocations": {"order_paid_handler": 1, "ssr_workflow": 8},
            "lambda_handler_ms_total": 200.0,
            "dynamodb_request_units": {"dynamodb.RRU": 10.0, "dynamodb.WRU": 30.0},
        },
        "opensolar_out_in_process": {
            "normal_case": {
                "opensolar_calls_per_request": 1.0,
                "aws_calls_per_request_total": 5.0,
                "dynamodb_request_units_per_request": {"dynamodb.RRU": 1.0, "dynamodb.WRU": 6.0},
            }
        },
        "opensolar_webhooks": {
            "in_process_on_moto": {
                "receiver_handler": {"p50_ms": 4.0, "p95_ms": 5.0},
                "receiver_over_floor_p50_ms": 1.5,
                "aws_calls_per_delivery_acknowledged": {"dynamodb.PutItem": 1.0, "sqs.SendMessage": 1.0},
                "dynamodb_request_units_per_delivery_acknowledged": {"dynamodb.WRU": 1.0},
                "processor_ms_per_delivery": 40.0,
                "processor_invocations_per_delivery": 0.1,
                "processor_aws_calls_per_delivery": {"dynamodb.GetItem": 2.0, "dynamodb.TransactWriteItems": 1.0},
                "processor_dynamodb_request_units_per_delivery": {"dynamodb.RRU": 1.0, "dynamodb.WRU": 4.0},
            }
        },
        "scheduling_in_process_on_moto": {
            "aws_calls_per_booking": 4.0,
            "aws_calls_per_automatic_booking": 5.0,
            "aws_calls_per_slots_query_14_days": 7.0,
        },
    }
    results.update(changes)
    results["cost_estimate"] = costs.estimate(results)
    return results


def test_each_target_is_judged_on_its_figure() -> None:
    rows = {row["figure"].split(" (")[0]: row for row in targets.targets(run())}
    assert rows["cold import of webhook_receiver / bare `import boto3`"]["value"] == 1.35
    assert rows["cold import of webhook_receiver / bare `import boto3`"]["met"] is True
    slowest = next(row for row in targets.targets(run()) if "slowest: projects_api" in row["figure"])
    assert (slowest["value"], slowest["met"]) == (1.9, False)
    assert rows["AWS API calls per paid order, end to end"]["met"] is True
    assert rows["estimated AWS cost per 1,000 paid orders"]["met"] is None
    assert rows["AWS calls per booking of a chosen slot"]["met"] is True
    assert rows["AWS calls per automatic booking"]["met"] is None


def test_the_cost_of_a_thousand_orders_adds_up_its_items_from_the_price_table() -> None:
    estimate = run()["cost_estimate"]
    items = estimate["per_1000_paid_orders_by_item_usd"]
    # 12 transitions x 1,000 orders at $0.025 per 1,000; one SES email per order at $0.10 per 1,000
    assert items["stepfunctions_state_transition"] == 0.3
    assert items["ses_email"] == 0.1
    # (30 WRU measured + 1 for the PUT + 6 for the sync) x 1,000 at $0.625 per million
    assert items["dynamodb_write_request_unit"] == round(37_000 * 0.625 / 1e6, 4)
    assert abs(estimate["per_1000_paid_orders_usd"] - sum(items.values())) < 0.001
    assert estimate["per_10000_webhooks_usd"] > 0


def test_the_performance_page_block_is_replaced_between_its_markers_only(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text("before\n<!-- bench:targets:start -->\nold\n<!-- bench:targets:end -->\nafter\n")
    assert targets.write_into_page("| new |\n", page)
    assert page.read_text() == "before\n<!-- bench:targets:start -->\n| new |\n<!-- bench:targets:end -->\nafter\n"
    bare = tmp_path / "BARE.md"
    bare.write_text("no markers\n")
    assert not targets.write_into_page("x", bare)
    assert bare.read_text() == "no markers\n"


def test_the_bench_writes_its_table_into_the_performance_page_which_holds_the_markers_once() -> None:
    # given the committed docs
    root = Path(targets.__file__).resolve().parent.parent
    # when the bench finds the page it rewrites
    page = targets.PERFORMANCE_PAGE
    # then that is docs/performance.md, with one block, and the README holds none
    assert page == root / "docs" / "performance.md"
    text = page.read_text()
    assert text.count("<!-- bench:targets:start -->") == text.count("<!-- bench:targets:end -->") == 1
    assert "bench:targets" not in (root / "README.md").read_text()
