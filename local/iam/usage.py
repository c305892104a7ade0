"""What the functions' code did under their roles: every (action, resource) allowed, every denial."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Usage:
    """Counted as the stack runs; written as JSON when it stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: Counter[tuple[str, str, str]] = Counter()
        self._denied: list[dict[str, str]] = []
        self._unchecked: set[str] = set()

    def used(self, function: str, action: str, resource: str) -> None:
        with self._lock:
            self._used[(function, action, resource)] += 1

    def denied(self, function: str, action: str, resource: str, message: str) -> None:
        with self._lock:
            self._denied.append({"function": function, "action": action, "resource": resource, "message": message})

    def unchecked(self, function: str) -> None:
        with self._lock:
            self._unchecked.add(function)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            used = [
                {"function": f, "action": a, "resource": r, "calls": n} for (f, a, r), n in sorted(self._used.items())
            ]
            return {"used": used, "denied": list(self._denied), "unchecked": sorted(self._unchecked)}
