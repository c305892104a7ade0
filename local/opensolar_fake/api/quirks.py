"""Switchable readings of the parts of opensolar-api.md marked unverified, so clients can be tested against each."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QuirkSettings(BaseModel):
    """The quirks in force; the defaults are the most literal reading of the doc."""

    model_config = ConfigDict(extra="forbid")

    # The doc: the ordering sign "is not reliably documented"; flipped, `-modified_date` yields oldest first.
    invert_ordering: bool = False
    # The doc: `?identifier=` and `?search=` are unverified; ignored, they return every project.
    ignore_filters: bool = False
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1)
