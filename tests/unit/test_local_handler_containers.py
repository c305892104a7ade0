"""The local stack's handlers run as Lambda's containers do: one event at a time per container, more containers when
events arrive together (a module's state, such as Powertools' resolver, is never shared by two events at once)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.runtime.handlers import ContainerDied, FunctionError, FunctionSpec, HandlerRegistry

HANDLER = """
import threading, time
busy = []
lock = threading.Lock()
container = object()

def handler(event, context):
    with lock:
        busy.append(event["n"])
        overlapping = len(busy)
    time.sleep(0.05)
    with lock:
        busy.remove(event["n"])
    return {"container": id(container), "overlapping": overlapping}
"""


def spec(tmp_path: Path) -> FunctionSpec:
    module = tmp_path / "app.py"
    module.write_text(HANDLER)
    return FunctionSpec(
        logical_id="ProbeFunction",
        name="probe",
        arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
        memory_mb=128,
        timeout_s=5,
        module_file=module,
        code_dir=tmp_path,
        function="handler",
        environment={},
    )


def test_events_arriving_together_get_containers_of_their_own_and_a_container_handles_one_at_a_time(
    tmp_path: Path,
) -> None:
    registry = HandlerRegistry({"ProbeFunction": spec(tmp_path)}, layer_dirs=())
    start = threading.Barrier(4)

    def invoke(n: int) -> dict[str, int]:
        start.wait()
        result: dict[str, int] = registry.invoke("ProbeFunction", {"n": n})
        return result

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(invoke, range(4)))
    # no container saw a second event while handling one, and the four concurrent events needed several containers
    assert {result["overlapping"] for result in results} == {1}
    assert len({result["container"] for result in results}) > 1
    # and later events, one at a time, reuse a warm container rather than loading another
    containers = {result["container"] for result in results}
    again = registry.invoke("ProbeFunction", {"n": 9})
    assert again["container"] in containers


def test_a_container_that_died_under_its_event_is_not_used_again_and_its_caller_sees_the_runtimes_error(
    tmp_path: Path,
) -> None:
    # given a function whose first invocation's container dies under it (a crash the code cannot catch)
    def dying(_logical_id: str, _timeout_s: int) -> contextlib.AbstractContextManager[None]:
        @contextlib.contextmanager
        def scope() -> Iterator[None]:
            yield
            if not died:
                died.append(True)
                raise ContainerDied("Runtime exited with error: exit status 1")

        return scope()

    died: list[bool] = []
    registry = HandlerRegistry({"ProbeFunction": spec(tmp_path)}, layer_dirs=(), scope=dying)
    # when it is invoked twice
    with pytest.raises(FunctionError) as failure:
        registry.invoke("ProbeFunction", {"n": 1})
    second = registry.invoke("ProbeFunction", {"n": 2})
    first_container = registry.invoke("ProbeFunction", {"n": 3})["container"]
    # then the first caller saw Lambda's error type, and the next events ran in a fresh container, reused from then on
    assert failure.value.error_type == "Runtime.ExitError"
    assert second["container"] == first_container
    assert registry._containers["ProbeFunction"] == 2
