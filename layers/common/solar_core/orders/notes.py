"""An order's notes: the CRM's free text plus the lines the automation appends, which a CRM write must not erase."""

from __future__ import annotations

# Every line the automation writes into an order's notes starts with this, so it can be told from the CRM's text.
AUTOMATION_PREFIX = "[automation] "


def as_line(note: str) -> str:
    """A note as one line of the notes (its line breaks and runs of spaces become single spaces)."""
    return " ".join(note.split())


def keeping_automation_lines(incoming: str, stored: str) -> str:
    """`incoming` notes with the stored automation lines it lacks appended, in their stored order.

    The CRM writes an order's notes whole; lines the automation added since the CRM last read them would otherwise
    be erased without anyone noticing.
    """
    present = set(incoming.splitlines())
    stored_lines = dict.fromkeys(stored.splitlines())
    missing = [line for line in stored_lines if line.startswith(AUTOMATION_PREFIX) and line not in present]
    return "\n".join(part for part in (incoming, *missing) if part)
