"""The organisation's project workflow: per-org stage ids and the deprecated milestone (`stage`) each one maps to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PRESALE, LOCK_PRICING, SOLD, INSTALLED, OTHER = 0, 1, 2, 3, 4

# Stage ids are per organisation in OpenSolar; these defaults match the doc's example (stage 7 = milestone 2, sold).
DEFAULT_STAGE_MILESTONES: dict[int, int] = {
    1: PRESALE,  # lead
    2: PRESALE,  # qualified
    3: PRESALE,  # site visit
    4: PRESALE,  # design
    5: PRESALE,  # proposal sent
    6: LOCK_PRICING,
    7: SOLD,  # contract signed
    8: SOLD,  # installation scheduled
    9: SOLD,  # installing
    10: INSTALLED,
    11: OTHER,  # lost / cancelled
}


@dataclass
class Workflow:
    """One workflow: its id and the milestone of every stage id in it (in stage order)."""

    workflow_id: int = 1
    stage_milestones: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_STAGE_MILESTONES))

    @classmethod
    def of(cls, workflow_id: int, stage_milestones: Mapping[int, int] | None) -> Workflow:
        milestones = dict(stage_milestones) if stage_milestones else dict(DEFAULT_STAGE_MILESTONES)
        if not milestones:
            raise ValueError("a workflow needs at least one stage")
        if any(not PRESALE <= milestone <= OTHER for milestone in milestones.values()):
            raise ValueError("milestones are 0..4")
        return cls(workflow_id=workflow_id, stage_milestones=milestones)

    def initial_stage(self) -> int:
        return next(iter(self.stage_milestones))

    def has_stage(self, stage_id: int) -> bool:
        return stage_id in self.stage_milestones

    def milestone_of(self, stage_id: int) -> int:
        return self.stage_milestones[stage_id]

    def first_stage_with(self, milestone: int) -> int | None:
        return next((stage for stage, value in self.stage_milestones.items() if value == milestone), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "workflow_id": self.workflow_id,
            "stages": [{"id": stage, "milestone": milestone} for stage, milestone in self.stage_milestones.items()],
        }
