"""The short soak inside `make test`: `make soak`'s run at a tenth of the size (20 orders, 100 webhook deliveries,
the same OpenSolar and AWS faults), on its own fresh stack. Every figure of its summary must match what the inputs
and the faults injected imply."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local.aws.template import ROOT


def test_a_short_soak_under_faults_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    # given a fresh stack (the soak starts and stops its own), OpenSolar failing 35% of calls, and AWS throttling,
    # failing, losing answers, crashing invocations and delivering twice
    report = tmp_path / "soak.md"
    # when 20 mixed orders and 100 shuffled webhook deliveries (30% duplicates) go through it
    command = [
        sys.executable,
        "-m",
        "local.scenarios.soak.run",
        "--orders",
        "20",
        "--deliveries",
        "100",
        "--report",
        str(report),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603 - our own interpreter and arguments, no shell
    # then every figure matches, and the summary table was written
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    table = report.read_text()
    assert "✗" not in table
    assert "| duplicate projects | 0 | 0 | ✓ |" in table
    assert "| automation failed | 0 | 0 | ✓ |" in table
    assert "| orders never emailed | 0 | 0 | ✓ |" in table
    assert "| AWS faults injected: invocation crashed after its k-th AWS call |" in table
    assert "## Least privilege" in table
