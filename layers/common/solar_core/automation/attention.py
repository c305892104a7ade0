"""Orders whose automation needs staff (flagged or failed), from the sparse NeedsAttention index: no scan."""

from __future__ import annotations

from pydantic import BaseModel, Field

from solar_core.automation.state import attempt_of
from solar_core.installations.statuses import AttentionState, AutomationState
from solar_core.installations.tables import AutomationItem
from solar_core.paging import newest_first, page_through

DEFAULT_PAGE = 50
MAX_PAGE = 100


class OrderNeedingAttention(BaseModel):
    order_id: str
    state: AutomationState
    reason: str | None = Field(description="Why the automation stopped: the equipment check's findings or the error.")
    attempt: int = Field(description="1 for the stream's run; each staff re-run counts on.")
    updated_at: str


class AttentionPage(BaseModel):
    items: list[OrderNeedingAttention]
    next_token: str | None = Field(description="Pass it back to read the next page; null on the last page.")


def needing_attention(*, state: AttentionState | None, limit: int, next_token: str | None) -> AttentionPage:
    """Flagged and failed orders, newest first within each state (flagged first when unfiltered)."""
    states = [state] if state else list(AttentionState)
    partitions = [newest_first(AutomationItem.needs_attention, value.value) for value in states]
    filters = {"state": state.value if state else None}
    found, token = page_through(partitions, kind=AutomationItem, limit=limit, next_token=next_token, filters=filters)
    return AttentionPage(items=[_entry(item) for item in found], next_token=token)


def _entry(item: AutomationItem) -> OrderNeedingAttention:
    return OrderNeedingAttention(
        order_id=item.order_id,
        state=AutomationState(item.state),
        reason=item.reason,
        attempt=attempt_of(item),
        updated_at=item.updated_at,
    )
