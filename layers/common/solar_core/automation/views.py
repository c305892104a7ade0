"""The read API's view of an order's automation: SSR, installation request, warranties, audit and state."""

from __future__ import annotations

from solar_core import errors
from solar_core.automation.state import as_automation
from solar_core.installations import records
from solar_core.installations.models import AuditEntry, Automation, AutomationState, ServiceRequestView
from solar_core.installations.tables import AuditItem, AutomationItem

# The contract shows no records for these states, even if an SSR was written before a later step failed.
_WITHOUT_RECORDS = frozenset({AutomationState.SKIPPED, AutomationState.FLAGGED, AutomationState.FAILED})


def service_request_for_order(order_id: str) -> ServiceRequestView:
    """NotFound until the automation has started for the order (one ByOrder query)."""
    items = records.items_of_order(order_id)
    state_item = next((item for item in items if isinstance(item, AutomationItem)), None)
    ssr, request, warranties = records.stored_parts(items)
    if state_item is None and ssr is None:
        raise errors.NotFound(f"The automation has not started for order {order_id}.")
    # The workflow may write the SSR a moment before the stream handler records `running`.
    state = as_automation(state_item) if state_item else Automation(state=AutomationState.RUNNING)
    entries = sorted(
        (
            AuditEntry(at=item.at, action=item.action, detail=item.detail)
            for item in items
            if isinstance(item, AuditItem)
        ),
        key=lambda entry: (entry.at, entry.action),
    )
    if state.state in _WITHOUT_RECORDS:
        return ServiceRequestView(ssr=None, installation_request=None, warranties=[], audit=entries, automation=state)
    return ServiceRequestView(
        ssr=ssr, installation_request=request, warranties=warranties, audit=entries, automation=state
    )


def service_request_by_ssr(ssr_id: str) -> ServiceRequestView:
    """NotFound for an unknown SSR id; else the view of its order."""
    return service_request_for_order(records.get_ssr(ssr_id).order_id)
