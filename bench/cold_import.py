"""Cold import time of each handler, as the median wall time of fresh interpreter processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 10

# What a fresh Lambda container imports before the first event: the handler module and what it pulls in.
_ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT / "layers" / "common"),
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
}


def _median_ms(code: str, cwd: Path = ROOT) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_ENV, check=True)  # noqa: S603 - our own code
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def measure() -> dict[str, float]:
    """Median ms for a bare interpreter, `import boto3`, and each function's `app` module."""
    results = {"python -c pass": _median_ms("pass"), "import boto3": _median_ms("import boto3")}
    for function_dir in sorted((ROOT / "functions").iterdir()):
        if (function_dir / "app.py").exists():
            results[f"import {function_dir.name}.app"] = _median_ms("import app", cwd=function_dir)
    return results
