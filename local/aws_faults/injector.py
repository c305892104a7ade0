"""Which AWS fault happens where: seeded dice, per-kind rates, and the count of every fault injected.

Kinds, and what each one's rate is a chance of:
- per AWS call a function's code makes (below botocore's retries, so the product's retry policy sees each one):
  `throttle` (the service's throttling error), `server_error` (a 500 or 503), `lost_answer` (the request is applied,
  then the read times out, so the caller cannot know it was);
- per invocation: `crash` (the function dies right after its k-th AWS call, k from 1 to `MAX_CALL`, so its side
  effects are half done), `timeout` (it runs out of time before its k-th call: Lambda's `Task timed out`);
- per successful delivery: `sqs_twice` (an SQS message delivered again), `stream_again` (a stream batch delivered
  again after it succeeded), `task_answer_lost` (a workflow task's answer lost after the handler ran, so the state
  machine's Retry runs it again).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from local.runtime.handlers import ContainerDied, FunctionError

MAX_CALL = 8  # a crash or a timeout lands at one of an invocation's first MAX_CALL AWS calls


@dataclass(frozen=True)
class FaultRates:
    """The chance of each kind of fault (0 = never)."""

    throttle: float = 0.0
    server_error: float = 0.0
    lost_answer: float = 0.0
    crash: float = 0.0
    timeout: float = 0.0
    sqs_twice: float = 0.0
    stream_again: float = 0.0
    task_answer_lost: float = 0.0

    @classmethod
    def scaled(cls, rate: float) -> FaultRates:
        """Every kind at `rate`, the rarer ones (5xx, lost answers, timeouts) at half of it."""
        half = rate / 2
        return cls(rate, half, half, rate, half, rate, rate, rate)

    def overridden(self, overrides: dict[str, float]) -> FaultRates:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown AWS fault kind(s) {sorted(unknown)}; known: {sorted(known)}")
        return replace(self, **overrides)

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) > 0 for f in fields(self))


class InvocationDied(ContainerDied):
    """The invocation's container crashed: no product code can catch it, and every later AWS call dies too."""


class InvocationTimedOut(InvocationDied):
    """The invocation ran past its timeout."""

    error_type = "Sandbox.Timedout"


@dataclass
class Invocation:
    """One invocation's AWS calls so far, and where it is to die (0: it does not)."""

    function: str
    timeout_s: int
    crash_after: int = 0
    time_out_at: int = 0
    calls: int = 0
    last_call: str = ""
    died: InvocationDied | None = None
    depth: int = 0  # AWS calls in flight: 1 is the code's own, deeper ones are the stack's plumbing
    service: str = ""
    protocol: str = ""


_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("local_aws_invocation", default=None)


@dataclass
class AwsFaults:
    """The dice and the tally; one per stack."""

    rates: FaultRates = field(default_factory=FaultRates)
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible chaos, not security
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()  # kind → count
        self.by_operation: Counter[str] = Counter()  # "kind service:Operation" → count
        self.died_after: Counter[str] = Counter()  # "function service:Operation": the last call before a crash

    def roll(self, kind: str) -> bool:
        """True when a fault of `kind` happens now (and it is counted)."""
        rate: float = getattr(self.rates, kind)
        if rate <= 0:
            return False
        with self._lock:
            happened = self._random.random() < rate
            if happened:
                self.injected[kind] += 1
        return happened

    def _call_number(self) -> int:
        with self._lock:
            return self._random.randint(1, MAX_CALL)

    def choose(self, answers: tuple[tuple[str, int], ...]) -> tuple[str, int]:
        with self._lock:
            return answers[self._random.randrange(len(answers))]

    def count(self, kind: str, operation: str) -> None:
        with self._lock:
            self.by_operation[f"{kind} {operation}"] += 1

    @contextlib.contextmanager
    def invocation(self, function: str, timeout_s: int) -> Iterator[None]:
        """The block is one invocation of `function`: its AWS calls are counted, and it may die at one of them."""
        crash_after = self._call_number() if self.rates.crash > 0 and self._roll_quietly("crash") else 0
        time_out_at = self._call_number() if self.rates.timeout > 0 and self._roll_quietly("timeout") else 0
        token = _current.set(Invocation(function, timeout_s, crash_after, time_out_at))
        try:
            yield
        finally:
            _current.reset(token)

    def _roll_quietly(self, kind: str) -> bool:
        """A die for a fault that may not happen after all (the invocation may make fewer calls): counted when it
        does, by `before_call`/`after_call`."""
        with self._lock:
            return self._random.random() < float(getattr(self.rates, kind))

    def before_call(self, invocation: Invocation, operation: str) -> None:
        """Raise when the invocation has died, or runs out of time before this call."""
        if invocation.died is not None:
            raise invocation.died
        invocation.calls += 1
        if invocation.calls == invocation.time_out_at:
            with self._lock:
                self.injected["timeout"] += 1
                self.died_after[f"{invocation.function} {invocation.last_call or 'start'}"] += 1
            invocation.died = InvocationTimedOut(f"Task timed out after {invocation.timeout_s:.2f} seconds")
            raise invocation.died
        invocation.last_call = operation

    def after_call(self, invocation: Invocation, operation: str) -> None:
        """Raise when the invocation is to crash right after this call."""
        if invocation.calls == invocation.crash_after:
            with self._lock:
                self.injected["crash"] += 1
                self.died_after[f"{invocation.function} {operation}"] += 1
            invocation.died = InvocationDied("Runtime exited with error: exit status 1")
            raise invocation.died

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self.seed,
                "rates": {f.name: getattr(self.rates, f.name) for f in fields(self.rates)},
                "injected": dict(sorted(self.injected.items())),
                "by_operation": dict(sorted(self.by_operation.items())),
                "died_after": dict(sorted(self.died_after.items())),
            }

    def losing_answers(self, invoke: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
        """`invoke`, whose result may be lost after the handler ran (`task_answer_lost`): the caller (a workflow
        task) sees Lambda's service error, and its Retry runs the handler again."""

        def invoke_and_maybe_lose(function: str, event: Any) -> Any:
            result = invoke(function, event)
            if self.roll("task_answer_lost"):
                raise FunctionError("Lambda.ServiceException", f"The answer of {function} was lost (local AWS fault)")
            return result

        return invoke_and_maybe_lose

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=1) + "\n")


def current() -> Invocation | None:
    """The invocation the running code belongs to (None: the stack's own plumbing)."""
    return _current.get()
