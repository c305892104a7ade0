"""Run every measurement and write bench/results.json (`make bench`)."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "bench",
        "POWERTOOLS_SERVICE_NAME": "bench",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# The layer is importable, as pytest's pythonpath makes it for the tests the measurements reuse.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "common"))

from bench import catalog_requests, cold_import, costs, local_stack, opensolar, scheduling, targets, webhooks
from tests.support import ssr_metrics
from tests.support.aws import TABLE_ENV

for _logical_id, _variable in TABLE_ENV.items():
    os.environ[_variable] = _logical_id

RESULTS = Path(__file__).resolve().parent / "results.json"


def main() -> None:
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(), "platform": platform.platform()},
        "cold_import_ms_median_of_10": cold_import.measure(),
        "catalog_requests_in_process_on_moto": catalog_requests.measure(),
        "paid_order_in_process_on_moto": ssr_metrics.measure_paid_order(),
        "local_stack": local_stack.measure(),
        "opensolar_out_in_process": opensolar.measure(),
        "opensolar_webhooks": webhooks.measure(),
        "scheduling_in_process_on_moto": scheduling.measure(),
    }
    results["cost_estimate"] = costs.estimate(results)
    rows = targets.targets(results)
    results["targets"] = rows
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    table = targets.markdown(rows, results["measured_at"])
    print()
    print(table)
    if targets.write_into_page(table):
        print("docs/performance.md: the targets table is updated.")


if __name__ == "__main__":
    main()
