"""Bookings as the OpenSolar side sees them: a booking or un-booking writes the installation request's link (its
copy of the status and date, which the projects list and a later push read) in the booking's own transaction."""

from __future__ import annotations

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from solar_core.installations.statuses import InstallationStatus
from solar_core.opensolar import backfill
from solar_core.opensolar.tables import LINK_SK, LinkItem, link_pk
from solar_core.scheduling import bookings
from solar_core.scheduling.models import Booking, BookingIn


def mirror_on_link(
    transaction: TransactWrite, request_id: str, day: str | None, status: InstallationStatus | None
) -> None:
    """The link's date (and status, when the booking moved it), only if the link exists."""
    actions: list[Action] = [LinkItem.installation_date.set(day) if day else LinkItem.installation_date.remove()]
    if status is not None:
        actions.append(LinkItem.installation_status.set(status.value))
    link = LinkItem(pk=link_pk(request_id), sk=LINK_SK)
    transaction.update(link, actions=actions, condition=LinkItem.pk.exists())


def book(request_id: str, wanted: BookingIn, by: str) -> Booking:
    """`PUT …/booking` with the link kept in step; a request from before links gets its link first."""
    try:
        return bookings.book(request_id, wanted, by, also=mirror_on_link)
    except bookings.AlsoRefused:
        backfill.link_for(request_id)
        return bookings.book(request_id, wanted, by, also=mirror_on_link)


def unbook(request_id: str, by: str) -> None:
    """`DELETE …/booking` with the link kept in step."""
    try:
        bookings.unbook(request_id, by, also=mirror_on_link)
    except bookings.AlsoRefused:
        backfill.link_for(request_id)
        bookings.unbook(request_id, by, also=mirror_on_link)
