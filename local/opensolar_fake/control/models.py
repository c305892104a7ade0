"""Bodies of the `/_control/` routes (and the matching Python methods); unknown keys are refused to catch typos."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from local.opensolar_fake.api.models import ProjectWrite


class StageMove(BaseModel):
    """Move a project as a UI user would: to a stage id, or to the first stage of a milestone."""

    model_config = ConfigDict(extra="forbid")

    active_stage_id: int | None = None
    stage: int | None = Field(default=None, ge=0, le=4)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.active_stage_id is None) == (self.stage is None):
            raise ValueError("give exactly one of active_stage_id or stage")
        return self


class UiProjectEdit(ProjectWrite):
    """A project edit made in OpenSolar's UI; `active_stage_id`/`stage` move the stage like StageMove."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    active_stage_id: int | None = None
    stage: int | None = Field(default=None, ge=0, le=4)


class PlanSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paid: bool


class TokenSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lifetime_s: float = Field(gt=0)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class ResetOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokens: bool = False


class DeliveryInjection(BaseModel):
    """Misbehaviour for upcoming deliveries: send the next N twice; hold the next N until a newer one went out."""

    model_config = ConfigDict(extra="forbid")

    duplicate_next: int = Field(default=0, ge=0)
    hold_next: int = Field(default=0, ge=0)


class FlushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(default=5.0, gt=0, le=120)


class WorkflowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: int
    stage_milestones: dict[int, int] = Field(min_length=1)
