"""Load each function's handler from its file and invoke it the way the Lambda runtime would."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.aws.template import ROOT
from local.runtime import container_caches, log_context
from local.runtime.function_code import load_module

LAYER_DIRS = (ROOT / "layers" / "common",)  # when the template names no local layer

logger = logging.getLogger("local.runtime.handlers")

Handler = Callable[[Any, Any], Any]
# (function logical id) → the context its code runs in: its role in the local stack's IAM check
Identity = Callable[[str], AbstractContextManager[None]]


# (function logical id, its timeout in seconds) → the context one invocation runs in (the local stack's AWS faults)
InvocationScope = Callable[[str, int], AbstractContextManager[None]]


def _no_identity(_logical_id: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def _no_scope(_logical_id: str, _timeout_s: int) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


class ContainerDied(BaseException):
    """The invocation's container died under it (a crash, a timeout): raised past any `except Exception` in the
    function's code, as a dying process would not run them. `error_type` is what the runtime reports."""

    error_type = "Runtime.ExitError"


class FunctionError(RuntimeError):
    """What the caller of an invocation sees when its container died: the runtime's error type and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True)
class FunctionSpec:
    """What invoking one function needs (from the deployment, or from stack.json in `invoke`)."""

    logical_id: str
    name: str
    arn: str
    memory_mb: int
    timeout_s: int
    module_file: Path
    code_dir: Path
    function: str
    environment: Mapping[str, str]
    role_arn: str = ""


class LambdaContext:
    """The attributes and method of the runtime's context object that handlers and Powertools use."""

    def __init__(self, spec: FunctionSpec, time_budget_s: float | None = None) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self.identity = None
        self.client_context = None
        budget = spec.timeout_s if time_budget_s is None else min(spec.timeout_s, time_budget_s)
        self._deadline = time.monotonic() + budget

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's configured timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class ResultNotSerializable(TypeError):
    """The runtime answers `Runtime.MarshalError` when a result cannot be turned into JSON."""


class HandlerRegistry:
    """Every function's handler, loaded on first use; one invocation path for HTTP, pollers, workflow and CLI."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        layer_dirs: tuple[Path, ...] = LAYER_DIRS,
        identity: Identity = _no_identity,
        scope: InvocationScope = _no_scope,
        time_budget_s: float | None = None,
    ) -> None:
        self._specs = dict(specs)
        self._identity = identity
        self._scope = scope
        # Compressed time (the soak): no invocation is given more than this many seconds, whatever its timeout.
        self._time_budget_s = time_budget_s
        self._by_name = {spec.name: spec.logical_id for spec in specs.values()}
        self._by_name |= {spec.arn: spec.logical_id for spec in specs.values()}
        # Idle "containers" per function: a handler module loaded once per container, handling one event at a time as
        # Lambda does (module state such as Powertools' resolver or BatchProcessor is not meant for two at once).
        self._idle: dict[str, list[Handler]] = {}
        self._containers: dict[str, int] = {}
        self._lock = threading.Lock()
        for layer_dir in layer_dirs:
            if str(layer_dir) not in sys.path:
                sys.path.insert(0, str(layer_dir))  # the Lambda runtime puts layers on the path too
        log_context.install()

    @property
    def logical_ids(self) -> list[str]:
        """The functions this registry can invoke."""
        return sorted(self._specs)

    def spec(self, logical_id: str) -> FunctionSpec:
        """The spec of one function."""
        return self._specs[logical_id]

    def logical_id_of(self, name_or_arn: str) -> str:
        """The logical id for a function name or ARN (as moto or an event source names it)."""
        return self._by_name[name_or_arn]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run the handler; its result comes back as JSON would (the runtime serialises it), errors propagate."""
        spec = self._specs[logical_id]
        handler = self._take(spec)
        alive = True
        try:
            result = log_context.run_isolated(self._run, spec, handler, event)
        except ContainerDied as death:
            # The container is gone: its module state (clients, caches) is not reused; the next event starts another.
            alive = False
            logger.error("%s: %s: %s", logical_id, death.error_type, death)
            raise FunctionError(death.error_type, f"RequestId: local Error: {death}") from None
        finally:
            if alive:
                with self._lock:
                    self._idle[spec.logical_id].append(handler)
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            raise ResultNotSerializable(f"{logical_id} returned a result that is not JSON: {error}") from error

    def _run(self, spec: FunctionSpec, handler: Handler, event: Any) -> Any:
        with (
            container_caches.of_function(spec.logical_id),
            self._identity(spec.logical_id),
            self._scope(spec.logical_id, spec.timeout_s),
        ):
            return handler(event, LambdaContext(spec, self._time_budget_s))

    def _take(self, spec: FunctionSpec) -> Handler:
        """An idle container's handler, or a new container's when every one is busy (concurrent events scale out)."""
        with self._lock:
            idle = self._idle.setdefault(spec.logical_id, [])
            if idle:
                return idle.pop()
            number = self._containers.get(spec.logical_id, 0) + 1
            self._containers[spec.logical_id] = number
            # Loading under the lock: two first events do not import one module twice at the same moment. The init
            # code runs under the function's role, as in Lambda.
            with container_caches.of_function(spec.logical_id), self._identity(spec.logical_id):
                return self._load(spec, number)

    @staticmethod
    def _load(spec: FunctionSpec, container: int = 1) -> Handler:
        if not spec.module_file.is_file():
            raise FileNotFoundError(f"{spec.logical_id}: no handler file {spec.module_file}")
        suffix = "" if container == 1 else f"_{container}"
        module = load_module(spec.module_file, f"local_function_{spec.logical_id}{suffix}")
        handler: Handler = getattr(module, spec.function)
        logger.info("loaded %s from %s (container %d)", spec.logical_id, spec.module_file, container)
        return handler
