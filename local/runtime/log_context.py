"""Each invocation's log keys are its own, as they are in Lambda, where one container serves one event at a time.

Every function in the local stack logs through the same Powertools formatter (one process, one service name), and
`inject_lambda_context` or `append_keys` change that formatter's keys. With several handlers running at once on
the stack's threads, a line written by one function could carry another's function name and request id. Here the
formatter's keys live in a context variable: each invocation starts from the keys the formatter had when it was
set up, and nothing it appends is seen by another invocation.
"""

from __future__ import annotations

import contextvars
from typing import Any

_per_invocation: contextvars.ContextVar[dict[int, dict[str, Any]] | None] = contextvars.ContextVar(
    "local_log_keys", default=None
)


class _LogFormat:
    """`formatter.log_format`, kept per invocation once `run_isolated` has begun one."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        shared: dict[str, Any] = formatter.__dict__.setdefault("_shared_log_format", {})
        keys = _per_invocation.get()
        if keys is None:
            return shared
        if id(formatter) not in keys:
            keys[id(formatter)] = dict(shared)
        return keys[id(formatter)]

    def __set__(self, formatter: Any, value: dict[str, Any]) -> None:
        keys = _per_invocation.get()
        if keys is None:
            formatter.__dict__["_shared_log_format"] = value
        else:
            keys[id(formatter)] = value


def install() -> None:
    """Make Powertools' formatter keep its keys per invocation (once per process)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    if not isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _LogFormat):
        LambdaPowertoolsFormatter.log_format = _LogFormat()  # type: ignore[assignment,misc]


def run_isolated(function: Any, *args: Any) -> Any:
    """Call `function(*args)` in a context of its own: fresh log keys, and context variables it sets stay in it."""
    context = contextvars.copy_context()

    def begin() -> Any:
        _per_invocation.set({})
        return function(*args)

    return context.run(begin)
