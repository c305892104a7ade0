"""Each function keeps its own container caches, as it does in Lambda, where every function is its own process.

The local stack imports the layer (`solar_core`) once for every function, so a `functools.cache` in it (the secret's
provider and its cached value, the OpenSolar config, the SSM parameter) would be filled by one function and read by
another: the second would never make the AWS call it makes on AWS, and the IAM check would never see it. Here each
such cache is split per function. The boto3 clients and pynamodb's connection stay shared: they hold no data and
need no permission to exist.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

LAYER_PACKAGE = "solar_core"
SHARED = frozenset({("solar_core.aws_clients", "client"), ("solar_core.transactions", "connection")})

_function: contextvars.ContextVar[str] = contextvars.ContextVar("local_container_function", default="")


class PerFunctionCache:
    """Stands in for a module's cached function: one `functools.cache` of the original per calling function."""

    def __init__(self, cached: Any) -> None:
        self._original: Callable[..., Any] = cached.__wrapped__
        self._caches: dict[str, Any] = {"": cached}
        self._lock = threading.Lock()
        functools.update_wrapper(self, cached)

    def _cache(self) -> Any:
        function = _function.get()
        with self._lock:
            if function not in self._caches:
                self._caches[function] = functools.cache(self._original)
            return self._caches[function]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cache()(*args, **kwargs)

    def cache_clear(self) -> None:
        self._cache().cache_clear()


_split: set[str] = set()
_split_lock = threading.Lock()
_modules_seen = [0]  # len(sys.modules) at the last look: an invocation that imported nothing costs one comparison


def split_layer_caches() -> None:
    """Split the caches of every layer module imported so far (nothing to do when no module was imported since)."""
    if len(sys.modules) == _modules_seen[0]:
        return
    _modules_seen[0] = len(sys.modules)
    names = [name for name in list(sys.modules) if name.split(".", 1)[0] == LAYER_PACKAGE and name not in _split]
    if not names:
        return
    with _split_lock:
        for name in names:
            module = sys.modules.get(name)
            _split.add(name)
            for attribute, value in list(vars(module).items()) if module else []:
                if (
                    isinstance(value, functools._lru_cache_wrapper)  # what functools.cache returns
                    and getattr(value, "__module__", "") == name
                    and (name, attribute) not in SHARED
                ):
                    setattr(module, attribute, PerFunctionCache(value))


@contextlib.contextmanager
def of_function(logical_id: str) -> Iterator[None]:
    """Run the block as `logical_id`: the layer's caches it reads and fills are that function's."""
    split_layer_caches()
    token = _function.set(logical_id)
    try:
        yield
    finally:
        _function.reset(token)
        split_layer_caches()  # modules the block imported for the first time
