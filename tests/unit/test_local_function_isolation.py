"""In the local stack's one process, each function still keeps what Lambda keeps per function: its log keys (its
own function name and request id on every line, however many handlers run at once) and its layer caches."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.runtime import container_caches
from local.runtime.handlers import FunctionSpec, HandlerRegistry

# Two functions share one Powertools service (and so one formatter), as the stack's functions do.
HANDLER = """
import time
from aws_lambda_powertools import Logger

logger = Logger(service="isolation-probe")

@logger.inject_lambda_context(clear_state=True)
def handler(event, context):
    logger.append_keys(step=event["step"])
    event["barrier"].wait()
    time.sleep(0.01)
    logger.info("working")
    return {"request_id": context.aws_request_id}
"""


def specs(tmp_path: Path) -> dict[str, FunctionSpec]:
    found = {}
    for name in ("alpha", "beta"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "app.py").write_text(HANDLER)
        found[name] = FunctionSpec(
            logical_id=name,
            name=f"{name}-function",
            arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}-function",
            memory_mb=128,
            timeout_s=5,
            module_file=folder / "app.py",
            code_dir=folder,
            function="handler",
            environment={},
        )
    return found


def test_every_line_carries_the_function_and_request_that_wrote_it(tmp_path: Path) -> None:
    registry = HandlerRegistry(specs(tmp_path), layer_dirs=())
    barrier = threading.Barrier(6)  # six invocations of two functions, all inside their handlers at once
    for function in ("alpha", "beta"):  # load first: the loggers exist before their output is captured
        registry.invoke(function, {"step": "warm-up", "barrier": threading.Barrier(1)})
    stream = io.StringIO()
    for handler in logging.getLogger("isolation-probe").handlers:
        handler.setStream(stream)  # type: ignore[attr-defined]
    answers: dict[str, list[str]] = {"alpha": [], "beta": []}

    def run(function: str, step: str) -> None:
        answers[function].append(registry.invoke(function, {"step": step, "barrier": barrier})["request_id"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        for future in [pool.submit(run, f, f"{f}-step-{n}") for n in range(3) for f in ("alpha", "beta")]:
            future.result()
    working = [json.loads(line) for line in stream.getvalue().splitlines() if '"working"' in line]
    assert len(working) == 6
    for line in working:
        function = line["function_name"].split("-")[0]
        assert line["step"].startswith(function), line
        assert line["function_request_id"] in answers[function], line
    assert len({line["function_request_id"] for line in working}) == 6


CACHED = """
from functools import cache

calls = []

@cache
def fetched():
    calls.append(1)
    return len(calls)
"""


def test_a_layer_cache_filled_by_one_function_is_not_read_by_another(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("solar_core.probe_cache")
    exec(CACHED, module.__dict__)  # noqa: S102 - the probe module's own source, above
    monkeypatch.setitem(sys.modules, module.__name__, module)
    with container_caches.of_function("alpha"):
        first = module.fetched()
        assert module.fetched() == first  # cached within the function
    with container_caches.of_function("beta"):
        assert module.fetched() == first + 1  # beta fetches for itself, as its own process would
    with container_caches.of_function("alpha"):
        assert module.fetched() == first
