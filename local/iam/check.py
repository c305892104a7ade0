"""`python -m local iam-check`: the end-to-end flows under each function's role, then least privilege both ways.

It starts a fresh stack (on `--template` if given), runs the demo's scenario and the flows in `flows.py`, stops the
stack and reads what the functions did (`iam-usage.json`). It prints, per function, every (action, resource) used
and every grant never used, and exits non-zero on any denied call or failed step, and on any unused grant without a
reason in `unused_grants.yaml`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from local.iam.flows import FLOWS
from local.iam.policies import Role, Statement
from local.iam.report import Report, build
from local.scenarios.demo.client import DemoApi, heading
from local.scenarios.demo.context import DemoContext
from local.scenarios.demo.run import SCENARIO
from local.stack_process import StackProcess


def roles_of(usage: dict[str, Any]) -> dict[str, Role]:
    """The roles the stack checked against, as it wrote them beside its usage."""
    return {
        function: Role(
            role["name"], role["arn"], tuple(Statement(s["policy"], s["document"]) for s in role["statements"])
        )
        for function, role in usage["roles"].items()
    }


def merged_usage(folder: Path) -> dict[str, Any]:
    """The stack's `iam-usage.json` and those of `python -m local invoke` runs beside it, as one record."""
    merged: dict[str, Any] = {"roles": {}, "used": [], "denied": [], "unchecked": []}
    calls: dict[tuple[str, str, str], int] = {}
    for path in sorted(folder.glob("iam-usage*.json")):
        usage = json.loads(path.read_text())
        merged["roles"] |= usage["roles"]
        merged["denied"] += usage["denied"]
        merged["unchecked"] = sorted(set(merged["unchecked"]) | set(usage["unchecked"]))
        for entry in usage["used"]:
            key = (entry["function"], entry["action"], entry["resource"])
            calls[key] = calls.get(key, 0) + entry["calls"]
    merged["used"] = [{"function": f, "action": a, "resource": r, "calls": n} for (f, a, r), n in sorted(calls.items())]
    return merged


def report_of(folder: Path) -> Report:
    """The least-privilege report of one stack run (the folder of its stack.json)."""
    usage = merged_usage(folder)
    return build(roles_of(usage), usage)


def run_check(template: Path | None = None, out: Path | None = None) -> int:
    """0 when every flow answered as expected, nothing was denied and every unused grant has a reason."""
    with tempfile.TemporaryDirectory(prefix="solar-iam-") as workdir:
        extra = ("--template", str(template)) if template else ()
        stack = StackProcess(Path(workdir) / "stack.json", Path(workdir) / "stack.log", extra)
        state = stack.start()
        demo = DemoContext(DemoApi(state["api_url"], state["staff_token"]), state)
        try:
            for part in [*SCENARIO, *FLOWS]:
                part(demo)
        finally:
            exit_code = stack.stop()
        report = report_of(Path(workdir))
        if out is not None:
            out.write_text(json.dumps(merged_usage(Path(workdir)), indent=1) + "\n")
    heading("Least privilege, per function")
    for line in report.lines():
        print(line)
    for failure in demo.api.failures:
        print(f"✗ {failure}")
    return 0 if report.ok and not demo.api.failures and exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(run_check())
