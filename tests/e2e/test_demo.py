"""`make demo` is one of the two commands a newcomer types: the scripted scenario must run to the end."""

from __future__ import annotations

import subprocess
import sys

from local.aws.template import ROOT


def test_the_demo_runs_every_step_as_expected_on_a_fresh_stack() -> None:
    # given a checkout with nothing running (the demo starts and stops its own stack on free ports)
    # when the demo runs
    finished = subprocess.run(
        [sys.executable, "-m", "local", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    # then every step answered as the script expects, and it says so
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "All steps answered as expected." in finished.stdout
    assert "Order Confirmation - " in finished.stdout
    assert "one project each in OpenSolar: no duplicate" in finished.stdout
