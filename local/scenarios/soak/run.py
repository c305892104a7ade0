"""`make soak`: the whole system under load and faults, in a fresh local stack, with every outcome counted exactly.

200 paid orders (solar, service-only, incompatible, written three times, refunded after their SSR) go in through the
API while the fake OpenSolar answers 20% of calls with 429, 10% with 500 and makes 5% too slow for our client's
timeout (the answer is lost after the call was applied: the duplicate-project trap). Then 1,000 webhook deliveries
(30% duplicates, shuffled, so older events arrive after newer ones) move the projects through their stages. At the
end the run compares what the inputs imply with what the system holds: SSRs, emails, staff notices, one project per
installation request, every status, nothing pushed back to OpenSolar (no echo), every dead-letter queue empty; it
prints a summary table and writes it to a file. Exit 0 only when every figure matches and no AWS call was denied.

AWS is faulty too (`up --aws-faults`, 3% by default, `--aws-faults 0` for none): throttling, 5xx, answers lost after
the request was applied, invocations that crash after their k-th AWS call or time out, SQS messages delivered twice,
stream batches delivered again, workflow tasks retried after their answer was lost. An email or a staff notice whose
sender died right after sending it (or lost SES's or SNS's answer) is sent again: each such repeat has its row, beside
the faults that caused it. The least-privilege report of the run (`python -m local iam-check`'s) is appended.

The pacing window is shortened (OpenSolar's 10 writes per 60 s becomes 10 per 2 s, fake and limiter alike) and the
backoffs are seconds, not minutes, so the run fits in minutes; the hourly retry of failed syncs runs whenever some
are failed, as the schedule would, sooner.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from local.iam.check import report_of
from local.scenarios.soak.inputs import SoakSize
from local.scenarios.soak.phases import Soak
from local.scenarios.soak.stack_client import SoakError
from local.stack_process import StackProcess


def run_soak(size: SoakSize, report_path: Path | None, stack_log: Path | None = None) -> int:
    """Start a fresh stack, run the soak, stop the stack; 0 when every figure matches."""
    with tempfile.TemporaryDirectory(prefix="solar-soak-") as workdir:
        state_file = Path(workdir) / "stack.json"
        faults = ("--aws-faults", str(size.aws_fault_rate), "--aws-fault-seed", str(size.seed))
        for kind_rate in (f"stream_again={size.stream_again_rate}", *size.aws_fault_overrides):
            faults += ("--aws-fault", kind_rate)
        # Time is compressed (pacing, backoffs): a failed queue message comes back in seconds, and an invocation has
        # 10 s at most (a lease a dead sync left lasts its time left, not the 90 s of the function's timeout).
        compressed = ("--failed-message-visible-after", "2", "--function-time-budget", "10")
        flags = (*compressed, *(faults if size.aws_fault_rate else ()))
        stack = StackProcess(state_file, Path(workdir) / "stack.log", flags)
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
            if stack_log is not None:
                shutil.copyfile(Path(workdir) / "stack.log", stack_log)
        report.note("whole run (s)", f"{time.monotonic() - started:.1f}")
        privilege = report_of(Path(workdir))
    # Denied calls fail the run; unused grants are reported (the template's grants are being narrowed separately).
    report.check("AWS calls denied by a function's role", 0, sum(len(f.denied) for f in privilege.functions))
    table = report.markdown() + "\n## Least privilege\n\n" + privilege.markdown()
    print()
    print(table)
    if report_path:
        faults = f"AWS faults at {size.aws_fault_rate:g}" if size.aws_fault_rate else "no AWS faults"
        header = f"# Soak: {size.orders} orders, {size.deliveries} webhook deliveries (seed {size.seed}, {faults})\n\n"
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
    parser.add_argument(
        "--aws-faults",
        type=float,
        default=SoakSize.aws_fault_rate,
        metavar="RATE",
        help="the stack's AWS fault rate (`up --aws-faults`; 0: OpenSolar's faults only)",
    )
    parser.add_argument(
        "--aws-fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="one kind's rate (`up --aws-fault`), e.g. crash=0 timeout=0 lost_answer=0: no email sent twice",
    )
    parser.add_argument("--report", type=Path, help="write the summary table here (markdown)")
    parser.add_argument("--stack-log", type=Path, help="keep the stack's log here")
    arguments = parser.parse_args(argv)
    size = SoakSize(
        orders=arguments.orders,
        deliveries=arguments.deliveries,
        seed=arguments.seed,
        aws_fault_rate=arguments.aws_faults,
        aws_fault_overrides=tuple(arguments.aws_fault),
    )
    return run_soak(size, arguments.report, arguments.stack_log)


if __name__ == "__main__":
    sys.exit(main())
