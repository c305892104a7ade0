"""Throttles like OpenSolar's: per-user sliding windows for project reads and writes, a daily cap per organisation."""

from __future__ import annotations

from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DAY_S = 86_400.0
ThrottleScope = Literal["read", "write"]


class LimitSettings(BaseModel):
    """The limits in force; `retry_after` adds a Retry-After header to 429s (the real API does not document one)."""

    model_config = ConfigDict(extra="forbid")

    write_limit_per_minute: int = Field(default=10, ge=0)
    read_limit_per_minute: int = Field(default=100, ge=0)
    daily_limit: int = Field(default=10_000, ge=0)
    window_s: float = Field(default=60.0, gt=0)
    retry_after: bool = False


class RateLimiter:
    """Sliding-window counters. Callers hold the org lock."""

    def __init__(self, settings: LimitSettings) -> None:
        self.settings = settings
        self._windows: dict[tuple[str, int], deque[float]] = {}

    def admit(self, org_id: int, user_id: int, scope: ThrottleScope | None, now: float) -> float | None:
        """Count the call and answer None, or answer the seconds until it would be allowed.

        A refused call is not counted, as in DRF's throttles, so a client retrying too early does not dig deeper.
        """
        checks: list[tuple[tuple[str, int], int, float]] = [(("day", org_id), self.settings.daily_limit, DAY_S)]
        if scope == "write":
            checks.append((("write", user_id), self.settings.write_limit_per_minute, self.settings.window_s))
        elif scope == "read":
            checks.append((("read", user_id), self.settings.read_limit_per_minute, self.settings.window_s))
        waits = []
        for key, limit, span in checks:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                waits.append(span - (now - window[0]) if window else span)
        if waits:
            return max(waits)
        for key, _limit, _span in checks:
            self._windows[key].append(now)
        return None
