"""What the soak sends: the mix of orders, their bodies, and the webhook deliveries (duplicates and all, shuffled)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from local.scenarios.sample_catalog import (
    BATTERY_ID,
    INSTALLATION_SERVICE_ID,
    INVERTER_ID,
    PANEL_ID,
    SMALL_BATTERY_ID,
    order_line,
    sample_order,
)

KINDS = ("solar", "service_only", "incompatible", "written_thrice", "refunded")
SHARES = {"solar": 0.55, "service_only": 0.15, "incompatible": 0.125, "written_thrice": 0.10, "refunded": 0.075}
WITH_SSR = ("solar", "written_thrice", "refunded")
STAGE_MAP = {"7": "scheduled", "8": "in_progress", "9": "in_progress", "10": "completed", "11": "cancelled"}
MILESTONE_OF_STAGE = {6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 4}  # the fake's default workflow


@dataclass(frozen=True)
class SoakSize:
    orders: int = 200
    deliveries: int = 1000
    duplicate_share: float = 0.3
    rate_429: float = 0.2
    rate_500: float = 0.1
    rate_timeout: float = 0.05
    # AWS faults in what the functions call and receive (`up --aws-faults`): throttling, crashes and redeliveries
    # at this rate, 5xx, lost answers and timeouts at half of it.
    aws_fault_rate: float = 0.03
    # The Orders stream comes in few batches (up to 10 records each): at the common rate almost none is delivered
    # again, so its rate is higher.
    stream_again_rate: float = 0.25
    aws_fault_overrides: tuple[str, ...] = ()  # `KIND=RATE`, as `up --aws-fault` takes them
    seed: int = 20261129

    def kinds(self) -> list[str]:
        """The orders' kinds in SHARES' proportions (rounding goes to plain solar orders), shuffled."""
        counts = {kind: int(self.orders * share) for kind, share in SHARES.items()}
        counts["solar"] += self.orders - sum(counts.values())
        kinds = [kind for kind, count in counts.items() for _ in range(count)]
        random.Random(self.seed).shuffle(kinds)  # noqa: S311 - a reproducible mix, not a secret
        return kinds


def order_body(order_id: str, kind: str) -> dict[str, Any]:
    """The Orders item the CRM writes for an order of this kind."""
    lines = {
        "service_only": [order_line(INSTALLATION_SERVICE_ID)],
        "incompatible": [order_line(INVERTER_ID), order_line(SMALL_BATTERY_ID, 4), order_line(PANEL_ID, 10)],
    }.get(kind, [order_line(INVERTER_ID), order_line(BATTERY_ID, 2), order_line(PANEL_ID, 10)])
    return sample_order(order_id, lines, updated_at=None)


def webhook_deliveries(
    size: SoakSize, rng: random.Random, projects: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Unique project updates (stages only move forward in time) and their duplicates, shuffled; and each
    installation request's status once the newest of its updates is applied."""
    unique = round(size.deliveries * (1 - size.duplicate_share))
    per_project = [unique // len(projects) + (1 if n < unique % len(projects) else 0) for n in range(len(projects))]
    updates: list[dict[str, Any]] = []
    expected: dict[str, str] = {}
    start = int(time.time()) - 3600  # an hour ago, in OpenSolar: no echo of anything we pushed
    event_id = 900_000
    for project, count in zip(projects, per_project, strict=True):
        stages = sorted(rng.choice((6, 7, 8, 9, 10)) for _ in range(count))
        if stages and stages[-1] != 10 and rng.random() < 0.15:
            stages[-1] = 11  # cancelled in OpenSolar
        status = "pending"
        for step, stage in enumerate(stages):
            event_id += 1
            updates.append(
                {
                    "timestamp": str(start + step * 60),
                    "model": "Project",
                    "model_id": int(project["opensolar_project_id"]),
                    "identifier": project["id"],
                    "event": "UPDATE",
                    "event_id": event_id,
                    "fields": {
                        "id": int(project["opensolar_project_id"]),
                        "identifier": project["id"],
                        "stage": MILESTONE_OF_STAGE[stage],
                        "workflow": {"workflow_id": 1, "active_stage_id": stage},
                    },
                }
            )
            status = STAGE_MAP.get(str(stage), "pending")
        expected[project["id"]] = status
    duplicates = [rng.choice(updates) for _ in range(size.deliveries - len(updates))]
    everything = updates + duplicates
    rng.shuffle(everything)
    return everything, expected
