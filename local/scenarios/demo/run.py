"""`python -m local demo`: a scripted walk through the system against a fresh local stack.

Each part of the scenario is a function `(DemoContext) -> None` listed in SCENARIO, run in order against the same
stack: the catalog and its compatibility checks (`catalog.py`), the paid-order automation (`paid_order.py`), then
OpenSolar out and in (`opensolar_out.py`, `opensolar_in.py`), a flagged order's re-run and crews and
bookings (`scheduling.py`). To add a part, write
`def part(demo: DemoContext)` in a module of this package, call `demo.api.call(...)` with the expected status and a
`check` on the answer, read moto through `demo.aws("sqs")` or `local.aws.readback`, state other expectations with
`demo.api.verify(...)`, and append it to SCENARIO. A failed expectation makes the demo exit non-zero. The data comes
from `local.scenarios.sample_catalog`, as in the tests.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from local.scenarios.demo.catalog import catalog_and_compatibility
from local.scenarios.demo.client import DemoApi, heading
from local.scenarios.demo.context import DemoContext
from local.scenarios.demo.opensolar_in import opensolar_in
from local.scenarios.demo.opensolar_out import opensolar_out
from local.scenarios.demo.paid_order import flagged_order_rerun, paid_order_automation
from local.scenarios.demo.scheduling import scheduling
from local.stack_process import StackProcess
from local.state_file import console_link

# The scenario, in order; append further parts here.
SCENARIO: list[Callable[[DemoContext], None]] = [
    catalog_and_compatibility,
    paid_order_automation,
    opensolar_out,
    opensolar_in,
    flagged_order_rerun,
    scheduling,
]


def run_demo(opensolar_url: str | None = None, opensolar_user: dict[str, str] | None = None) -> int:
    """Start a fresh stack, run SCENARIO, stop it; 0 when every step answered as expected."""
    with tempfile.TemporaryDirectory(prefix="solar-demo-") as workdir:
        extra = ("--opensolar-url", opensolar_url) if opensolar_url else ()
        # The API user travels in the environment (OPENSOLAR_USERNAME / OPENSOLAR_PASSWORD), not on a command line.
        stack = StackProcess(Path(workdir) / "stack.json", Path(workdir) / "stack.log", extra, opensolar_user)
        print("Starting a fresh local stack…", flush=True)
        state = stack.start()
        print(f"API {state['api_url']} · moto {state['aws_endpoint_url']} · ready in {state['startup_seconds']} s")
        demo = DemoContext(DemoApi(state["api_url"], state["staff_token"]), state)
        try:
            for part in SCENARIO:
                part(demo)
            if sys.stdin.isatty() and not demo.api.failures:
                heading("The operator console")
                print(f"Open {console_link(state)}")
                print("(signed in as staff). The stack stays up for it until you press Enter.", flush=True)
                with contextlib.suppress(EOFError, KeyboardInterrupt):
                    input()
        finally:
            exit_code = stack.stop()
            if demo.api.failures or exit_code != 0:
                print(f"\nThe stack's log (last lines):\n{stack.log_tail()}", flush=True)
    heading("Result")
    for failure in demo.api.failures:
        print(f"✗ {failure}")
    if exit_code != 0:
        print(f"✗ the stack exited with {exit_code}")
    ok = not demo.api.failures and exit_code == 0
    print("All steps answered as expected." if ok else f"{len(demo.api.failures)} step(s) failed.")
    print(f"The console of this demo's stack: {console_link(state)}")
    print("`make up` runs a stack and prints its console link the same way (signed in as staff); on AWS the page is")
    print("the stack's `ConsoleUrl` output, where staff sign in with their Cognito user.")
    return 0 if ok else 1
