"""The soak's summary: each figure beside what the inputs imply, and the facts of the run, as a markdown table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    figure: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        return bool(self.expected == self.actual)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    facts: list[tuple[str, Any]] = field(default_factory=list)

    def check(self, figure: str, expected: Any, actual: Any) -> None:
        self.rows.append(Row(figure, expected, actual))

    def note(self, figure: str, value: Any) -> None:
        self.facts.append((figure, value))

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def markdown(self) -> str:
        lines = ["| figure | expected | actual | |", "| --- | ---: | ---: | --- |"]
        lines += [f"| {row.figure} | {row.expected} | {row.actual} | {'✓' if row.ok else '✗'} |" for row in self.rows]
        lines += ["", "| run | |", "| --- | ---: |"]
        lines += [f"| {figure} | {value} |" for figure, value in self.facts]
        return "\n".join(lines) + "\n"


@dataclass
class Observed:
    """What a run sent and saw, for the report's checks."""

    orders: dict[str, str] = field(default_factory=dict)  # order id → kind
    states: dict[str, str] = field(default_factory=dict)  # order id → automation state
    expected_status: dict[str, str] = field(
        default_factory=dict
    )  # installation request id → status after its newest update
    answers: Counter[str] = field(default_factory=Counter)  # the webhook's answers
    unique_deliveries: int = 0
    webhook_retries: int = 0  # deliveries made again after a 5xx
    stored_then_died: int = 0  # unique deliveries answered "duplicate" only, after an attempt that failed
    timings: dict[str, float] = field(default_factory=dict)  # phase → seconds
