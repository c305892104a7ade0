"""Fault injection for API calls: seeded 429s, 500s, slow answers and dropped connections."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

CallKind = Literal["read", "write", "auth"]


class FaultSettings(BaseModel):
    """What to inject and where. `after_apply` makes write faults land after the write was saved (uncertain outcome)."""

    model_config = ConfigDict(extra="forbid")

    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_500: float = Field(default=0.0, ge=0, le=1)
    rate_drop: float = Field(default=0.0, ge=0, le=1)
    # A 2xx answer spoiled after the call was applied: an HTML page (a proxy's maintenance page) or JSON missing fields.
    rate_garbled: float = Field(default=0.0, ge=0, le=1)
    garble: Literal["html", "partial"] = "html"
    rate_slow: float = Field(default=0.0, ge=0, le=1)
    slow_ms: int = Field(default=0, ge=0)
    seed: int | None = None
    routes: Literal["writes", "reads", "all"] = "all"
    retry_after_s: float | None = Field(default=None, ge=0)
    after_apply: bool = False

    @model_validator(mode="after")
    def _outcomes_fit_in_one_roll(self) -> Self:
        if self.rate_429 + self.rate_500 + self.rate_drop + self.rate_garbled > 1:
            raise ValueError("rate_429 + rate_500 + rate_drop + rate_garbled must not exceed 1")
        return self

    def applies_to(self, kind: CallKind) -> bool:
        if self.routes == "all":
            return True
        return (self.routes, kind) in (("writes", "write"), ("reads", "read"))


@dataclass(frozen=True)
class FaultDecision:
    """The fault chosen for one call; an empty decision means answer normally."""

    status: int | None = None
    drop: bool = False
    slow_s: float = 0.0
    after_apply: bool = False
    retry_after_s: float | None = None
    garble: str | None = None  # "html" or "partial": spoil the successful answer's body


NO_FAULT = FaultDecision()


class FaultInjector:
    """Rolls the dice for each call. Callers hold the org lock, so a seeded run repeats for a sequential client."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._random = random.Random()  # noqa: S311 - reproducible chaos, not security
        self.injected: Counter[str] = Counter()  # by kind of fault, since the org's last reset

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)  # noqa: S311 - reproducible chaos, not security

    def clear(self) -> None:
        self.configure(FaultSettings())

    def decide(self, kind: CallKind) -> FaultDecision:
        decision = self._decide(kind)
        for name, happened in (
            (str(decision.status), decision.status is not None),
            ("drop", decision.drop),
            ("slow", decision.slow_s > 0),
            ("garbled", decision.garble is not None),
        ):
            if happened:
                self.injected[name] += 1
        return decision

    def _decide(self, kind: CallKind) -> FaultDecision:
        settings = self.settings
        if not settings.applies_to(kind):
            return NO_FAULT
        # Two rolls per matching call whatever the outcome, so one seed gives one sequence of faults.
        outcome, slowness = self._random.random(), self._random.random()
        slow_s = settings.slow_ms / 1000 if slowness < settings.rate_slow else 0.0
        after_apply = settings.after_apply and kind == "write"
        if outcome < settings.rate_drop:
            return FaultDecision(drop=True, slow_s=slow_s, after_apply=after_apply)
        if outcome < settings.rate_drop + settings.rate_429:
            # A throttled call never reaches the view, so it is never applied.
            return FaultDecision(status=429, slow_s=slow_s, retry_after_s=settings.retry_after_s)
        if outcome < settings.rate_drop + settings.rate_429 + settings.rate_500:
            return FaultDecision(status=500, slow_s=slow_s, after_apply=after_apply)
        if outcome < settings.rate_drop + settings.rate_429 + settings.rate_500 + settings.rate_garbled:
            return FaultDecision(slow_s=slow_s, garble=settings.garble)
        return FaultDecision(slow_s=slow_s)
