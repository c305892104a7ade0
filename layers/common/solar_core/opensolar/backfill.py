"""Links for installation requests that have none: those made before links existed (CreateRecords makes one with
every installation request since)."""

from __future__ import annotations

from solar_core import errors
from solar_core.installations import records
from solar_core.opensolar import links
from solar_core.opensolar.links import ensure_link, new_link
from solar_core.opensolar.tables import LinkItem


def link_installation_request(installation_request_id: str) -> bool:
    """Creates the link of a stored installation request unless it exists (NotFound for an unknown id)."""
    stored = records.get_installation_request(installation_request_id)
    link = new_link(stored.request, ssr_id=stored.ssr_id, order_id=stored.order_id, created_at=stored.created_at)
    return ensure_link(link)


def link_for(installation_request_id: str) -> LinkItem:
    """The installation request's link, made first if it has none yet; NotFound for an unknown installation request."""
    try:
        return links.get_link(installation_request_id)
    except links.LinkMissing:
        pass
    try:
        link_installation_request(installation_request_id)
    except errors.NotFound:
        raise errors.NotFound(f"No installation request {installation_request_id}.") from None
    return links.get_link(installation_request_id, consistent=True)
