"""Command line of the local stack: `up`, `invoke`, `redrive`, `demo`, `soak`, `openapi` (`python -m local --help`)."""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from local.aws.template import TEMPLATE_PATH
from local.state_file import DEFAULT_STATE_FILE, console_link


def _parameter(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"expected Name=Value, got {text!r}")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole stack in the foreground (Ctrl-C stops it)")
    up.add_argument("--api-port", type=int, default=3000, help="HTTP API port (0 = a free port)")
    up.add_argument("--moto-port", type=int, default=0, help="moto server port (0 = a free port)")
    _opensolar_arguments(up)
    up.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE, help="where to write stack.json")
    up.add_argument("--run-schedules", action="store_true", help="run rate() schedules on their period")
    up.add_argument("--poll-interval", type=float, default=0.2, help="seconds between empty polls")
    up.add_argument("--parameter", type=_parameter, action="append", default=[], metavar="NAME=VALUE")
    up.add_argument("--log-level", default="INFO")
    up.add_argument("--template", type=Path, default=TEMPLATE_PATH, help="the SAM template to deploy")
    up.add_argument(
        "--aws-faults",
        type=float,
        default=0.0,
        metavar="RATE",
        help="inject AWS faults into what the functions call and receive: throttling, crashes, redeliveries at "
        "RATE; 5xx, lost answers and timeouts at half of it (default 0: none)",
    )
    up.add_argument(
        "--aws-fault",
        type=_parameter,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="one kind's rate (throttle, server_error, lost_answer, crash, timeout, sqs_twice, stream_again, "
        "task_answer_lost), over --aws-faults",
    )
    up.add_argument(
        "--function-time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="compressed time: no invocation gets more than SECONDS (its context's time left), whatever its timeout",
    )
    up.add_argument("--aws-fault-seed", type=int, default=None, help="seed of the AWS faults' dice")
    up.add_argument(
        "--failed-message-visible-after",
        type=int,
        default=None,
        metavar="SECONDS",
        help="compressed time: a queue message whose invocation failed comes back after SECONDS, not after the "
        "queue's visibility timeout",
    )

    invoke = commands.add_parser(
        "invoke",
        help="invoke one function against the running stack",
        description="The handler runs in this process with the function's environment from stack.json; "
        "Step Functions executions, queue messages and stream records it causes are processed in the `up` process.",
    )
    invoke.add_argument("function", help="logical id of the function in template.yaml")
    invoke.add_argument("--event", type=Path, help="event JSON file (default: the schedule's event, or {})")
    invoke.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)

    redrive = commands.add_parser(
        "redrive",
        help="move a dead-letter queue's messages back to their source queue (local stack, or AWS with --aws)",
    )
    redrive.add_argument("queue", help="the DLQ's logical id in template.yaml (or its source queue's)")
    redrive.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    redrive.add_argument("--aws", action="store_true", help="on AWS: start SQS's message-move task")
    redrive.add_argument("--stack", default="solar-backbone-dev", help="the CloudFormation stack (with --aws)")
    redrive.add_argument("--region", help="its region (with --aws; default: the AWS CLI's)")

    demo = commands.add_parser("demo", help="run the scripted scenario against a fresh stack")
    _opensolar_arguments(demo)

    commands.add_parser("soak", help="the whole system under load and faults in a fresh stack (`make soak`)")
    commands.add_parser("openapi", help="print the API's OpenAPI document (`make openapi`)")
    iam_check = commands.add_parser(
        "iam-check", help="the flows under each function's role: denied calls and unused grants (`make iam-check`)"
    )
    iam_check.add_argument("--template", type=Path, default=None, help="the SAM template to deploy")
    iam_check.add_argument("--usage-out", type=Path, default=None, help="also keep the stack's iam-usage.json here")
    return parser


def _opensolar_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--opensolar-url", help="use this OpenSolar instead of starting the fake")
    command.add_argument(
        "--opensolar-username",
        default=os.environ.get("OPENSOLAR_USERNAME"),
        help="its API user, put into the OpenSolar secret (default: $OPENSOLAR_USERNAME)",
    )
    command.add_argument(
        "--opensolar-password",
        default=os.environ.get("OPENSOLAR_PASSWORD"),
        help="its password (default: $OPENSOLAR_PASSWORD; the environment keeps it off the process list)",
    )


def _up(arguments: argparse.Namespace) -> int:
    from local.aws_faults.injector import FaultRates
    from local.stack import LocalStack, UpOptions

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack, to stderr
    logging.basicConfig(level=arguments.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stopping = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stopping.set())
    options = UpOptions(
        api_port=arguments.api_port,
        moto_port=arguments.moto_port,
        opensolar_url=arguments.opensolar_url,
        opensolar_username=arguments.opensolar_username,
        opensolar_password=arguments.opensolar_password,
        state_file=arguments.state_file,
        run_schedules=arguments.run_schedules,
        poll_interval_s=arguments.poll_interval,
        parameter_overrides=dict(arguments.parameter),
        template_path=arguments.template,
        aws_fault_rates=FaultRates.scaled(arguments.aws_faults).overridden(
            {kind: float(rate) for kind, rate in arguments.aws_fault}
        ),
        aws_fault_seed=arguments.aws_fault_seed,
        failed_message_visible_after_s=arguments.failed_message_visible_after,
        function_time_budget_s=arguments.function_time_budget,
    )
    stack = LocalStack(options)
    started = time.perf_counter()
    try:
        state = stack.start()
        logging.getLogger("local").info(
            "ready in %.1f s; state in %s", time.perf_counter() - started, arguments.state_file
        )
        print(f"API: {state['api_url']}", flush=True)
        for warning in stack.warnings:
            print(f"Warning: {warning}", flush=True)
        if state.get("staff_token"):
            print(f"Console (signed in as staff): {console_link(state)}", flush=True)
        while not stopping.wait(0.5):
            pass
    finally:
        stack.stop()
    print("stopped", flush=True)
    return 0


def _invoke(arguments: argparse.Namespace) -> int:
    from local.runtime.invoke import run

    return run(arguments.state_file, arguments.function, arguments.event)


def _redrive(arguments: argparse.Namespace) -> int:
    from local.tools import redrive as dead_letters

    if arguments.aws:
        return dead_letters.run_aws(arguments.queue, arguments.stack, arguments.region)
    return dead_letters.run_local(arguments.queue, arguments.state_file)


def _demo(arguments: argparse.Namespace) -> int:
    from local.scenarios.demo.run import run_demo

    user = {"OPENSOLAR_USERNAME": arguments.opensolar_username, "OPENSOLAR_PASSWORD": arguments.opensolar_password}
    given = {name: value for name, value in user.items() if value}
    return run_demo(opensolar_url=arguments.opensolar_url, opensolar_user=given)


def _openapi(_arguments: argparse.Namespace) -> int:
    from local.tools.openapi import render

    sys.stdout.write(render())
    return 0


def _iam_check(arguments: argparse.Namespace) -> int:
    from local.iam.check import run_check

    return run_check(arguments.template, arguments.usage_out)


COMMANDS = {
    "iam-check": _iam_check,
    "up": _up,
    "invoke": _invoke,
    "redrive": _redrive,
    "demo": _demo,
    "openapi": _openapi,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:
        # The soak has flags of its own (`python -m local soak --help`).
        from local.scenarios.soak.run import main as soak

        return soak(argv[1:])
    arguments = _parser().parse_args(argv)
    return COMMANDS[arguments.command](arguments)


if __name__ == "__main__":
    sys.exit(main())
