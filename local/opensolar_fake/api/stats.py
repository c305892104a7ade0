"""Counts of API calls per method and route, so tests and benchmarks can count what a client cost."""

from __future__ import annotations

from collections import Counter
from typing import Any


class CallStats:
    """`"POST /api/orgs/{org_id}/projects/"` → count, and the answers' status codes per route. Callers hold the lock."""

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._statuses: dict[str, Counter[str]] = {}

    def record(self, route: str, status: str) -> None:
        self._calls[route] += 1
        self._statuses.setdefault(route, Counter())[status] += 1

    def counts(self) -> dict[str, int]:
        return dict(self._calls)

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": sum(self._calls.values()),
            "calls": dict(self._calls),
            "statuses": {route: dict(statuses) for route, statuses in self._statuses.items()},
        }

    def clear(self) -> None:
        self._calls.clear()
        self._statuses.clear()
