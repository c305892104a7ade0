"""The local stack's handlers run as Lambda's containers do: one event at a time per container, more containers when
events arrive together (a module's state, such as Powertools' resolver, is never shared by two events at once)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local.runtime.handlers import FunctionSpec, HandlerRegistry

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
