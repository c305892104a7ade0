"""Masks personal data (emails, phone numbers, usernames made of them) before it reaches a log line."""

from __future__ import annotations


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str:
    """Keeps the last 3 digits, enough to tell two numbers apart in a log."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 6:
        return "***"
    return f"***{digits[-3:]}"
