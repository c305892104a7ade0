"""The words the automation sends: the customer's confirmation email and the staff notices (pure rendering).

Nothing here carries a password or a secret; staff notices carry the customer's first name only (no phone, no email).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from solar_core.installations.models import CreatedRecords, InstallationRequestRef, ServiceSystemRecord, Warranty
from solar_core.orders.notes import AUTOMATION_PREFIX

_SNS_SUBJECT_LIMIT = 100


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class StaffNotice:
    subject: str
    message: str


def _size(system_size_kw: float | None) -> str:
    return f"{system_size_kw:g} kW" if system_size_kw is not None else "to be confirmed"


def _equipment(ssr: ServiceSystemRecord) -> list[str]:
    return [f"{line.quantity} x {line.name}" for line in ssr.equipment]


def _warranties(warranties: Sequence[Warranty]) -> list[str]:
    lines = []
    for warranty in warranties:
        serial = f" (serial {warranty.serial_number})" if warranty.serial_number else ""
        lines.append(
            f"{warranty.product_name}{serial}: {warranty.duration_days} days, "
            f"{warranty.start_date} to {warranty.end_date}"
        )
    return lines


def confirmation_email(
    *,
    first_name: str,
    order_number: str,
    ssr: ServiceSystemRecord,
    installation_request: InstallationRequestRef | None,
    warranties: Sequence[Warranty],
    portal_url: str,
    portal_username: str,
) -> Email:
    """Subject `Order Confirmation - {order_number}`; the body: SSR, system, warranties and portal login."""
    system = [f"Type: {ssr.system_type.value.capitalize()}", f"Size: {_size(ssr.system_size_kw)}"]
    equipment = _equipment(ssr)
    warranty_lines = _warranties(warranties)
    request_line = (
        f"Installation request: {installation_request.id} ({installation_request.status.value})"
        if installation_request
        else ""
    )
    portal = (
        f"Sign in at {portal_url} with the username {portal_username}. The first time, choose "
        '"Forgot password" to set your own password; we never send passwords by email.'
    )
    text_parts = [
        f"Dear {first_name},",
        "",
        f"Thank you for your order {order_number}. Your solar installation is now being scheduled.",
        "",
        f"Service record (SSR): {ssr.ssr_id}",
        f"Order number: {order_number}",
        *([request_line] if request_line else []),
        "",
        "Your system",
        *(f"- {line}" for line in system),
        *(f"- {line}" for line in equipment),
        "",
        "Your warranties",
        *(f"- {line}" for line in warranty_lines),
        "",
        "Your customer portal",
        portal,
        "",
        "Kind regards,",
        "The installation team",
    ]

    def items(lines: Sequence[str]) -> str:
        return "".join(f"<li>{escape(line)}</li>" for line in lines)

    html = (
        "<html><body>"
        f"<p>Dear {escape(first_name)},</p>"
        f"<p>Thank you for your order <strong>{escape(order_number)}</strong>. "
        "Your solar installation is now being scheduled.</p>"
        f"<p>Service record (SSR): <strong>{escape(ssr.ssr_id)}</strong><br>Order number: {escape(order_number)}"
        + (f"<br>{escape(request_line)}" if request_line else "")
        + "</p>"
        f"<h3>Your system</h3><ul>{items(system)}{items(equipment)}</ul>"
        f"<h3>Your warranties</h3><ul>{items(warranty_lines)}</ul>"
        f'<h3>Your customer portal</h3><p><a href="{escape(portal_url, quote=True)}">{escape(portal_url)}</a> '
        f"&mdash; username <strong>{escape(portal_username)}</strong>. The first time, choose "
        "&ldquo;Forgot password&rdquo; to set your own password; we never send passwords by email.</p>"
        "<p>Kind regards,<br>The installation team</p>"
        "</body></html>"
    )
    return Email(subject=f"Order Confirmation - {order_number}", text="\n".join(text_parts), html=html)


def _sns_subject(text: str) -> str:
    """SNS subjects are ASCII, one line, at most 100 characters."""
    flat = " ".join(text.split()).encode("ascii", "replace").decode()
    return flat[:_SNS_SUBJECT_LIMIT]


def ssr_created_notice(*, order_number: str, first_name: str, records: CreatedRecords) -> StaffNotice:
    message = (
        f"SSR {records.ssr_id} was created for order {order_number} (customer {first_name}).\n"
        f"System: {records.system_type.value}, {_size(records.system_size_kw)}.\n"
        f"Installation request {records.installation_request_id} is pending scheduling."
    )
    return StaffNotice(subject=_sns_subject(f"New SSR {records.ssr_id} for order {order_number}"), message=message)


def order_flagged_notice(*, order_number: str, first_name: str, reasons: Sequence[str]) -> StaffNotice:
    listed = "\n".join(f"- {reason}" for reason in reasons) or "- (no reason given)"
    message = (
        f"Order {order_number} (customer {first_name}) is won and paid, but its equipment did not pass the "
        f"compatibility check, so no SSR was created. Fix the order and create the SSR by hand:\n{listed}"
    )
    return StaffNotice(subject=_sns_subject(f"Order {order_number} flagged: equipment check failed"), message=message)


def order_refunded_notice(
    *, order_number: str, first_name: str, ssr_id: str, installation_request_id: str
) -> StaffNotice:
    message = (
        f"Order {order_number} (customer {first_name}) was refunded after SSR {ssr_id} was created. "
        f"Nothing was deleted: review installation request {installation_request_id} and cancel it if needed."
    )
    return StaffNotice(subject=_sns_subject(f"Order {order_number} refunded after SSR {ssr_id}"), message=message)


def flag_note(reasons: Sequence[str]) -> str:
    """The line appended to the order's notes when automation flags it (an automation line: CRM writes keep it)."""
    return f"{AUTOMATION_PREFIX}Equipment check failed, no SSR created: " + "; ".join(reasons or ["no reason given"])
