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
import sys
import tempfile
import time
from pathlib import Path

from local.scenarios.soak.inputs import SoakSize
from local.scenarios.soak.phases import Soak
from local.scenarios.soak.stack_client import SoakError
from local.stack_process import StackProcess


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
    parser = argparse.ArgumentParser(prog="python -m local soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=SoakSize.orders)
    parser.add_argument("--deliveries", type=int, default=SoakSize.deliveries)
    parser.add_argument("--seed", type=int, default=SoakSize.seed)
    parser.add_argument("--report", type=Path, help="write the summary table here (markdown)")
    arguments = parser.parse_args(argv)
    size = SoakSize(orders=arguments.orders, deliveries=arguments.deliveries, seed=arguments.seed)
    return run_soak(size, arguments.report)


if __name__ == "__main__":
    sys.exit(main())
