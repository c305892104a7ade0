"""Identifiers of the records and of the workflow execution started for an order."""

from __future__ import annotations

import hashlib
import re
import secrets

_EXECUTION_NAME_LIMIT = 80
_HASH_LENGTH = 10
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_RERUN_SUFFIX = re.compile(r"-[0-9a-f]{10}-r([0-9]+)$")


def new_ssr_id() -> str:
    """`ISR-` and 8 random hex characters; the order guard, not the id, makes the SSR unique per order."""
    return f"ISR-{secrets.token_hex(4).upper()}"


def installation_request_id(ssr_id: str) -> str:
    """The installation request shares its SSR's suffix, so either id leads to the other at a glance."""
    return f"IR-{ssr_id.removeprefix('ISR-')}"


def ssr_id_of(installation_request_id: str) -> str:
    """The SSR an installation request belongs to (the inverse of `installation_request_id`)."""
    return f"ISR-{installation_request_id.removeprefix('IR-')}"


def warranty_id(ssr_id: str, line_number: int, serial_number_index: int | None = None) -> str:
    """Deterministic within an SSR: line number (1-based) and, for serialised lines, the serial's position."""
    base = f"WTY-{ssr_id.removeprefix('ISR-')}-{line_number:02d}"
    return base if serial_number_index is None else f"{base}-{serial_number_index:03d}"


def execution_name(order_id: str, attempt: int = 1) -> str:
    """A Step Functions execution name for the order's `attempt`: readable, ≤ 80 chars of [A-Za-z0-9-_], unique per
    order id and attempt. The first run (the stream's) is `<order>-<hash>`; a staff re-run adds `-r<attempt>`.

    Sanitising alone could map two ids to one name (`SO/1` and `SO 1`), so a hash of the exact id is appended.
    """
    digest = hashlib.sha256(order_id.encode()).hexdigest()[:_HASH_LENGTH]
    suffix = f"-{digest}" if attempt <= 1 else f"-{digest}-r{attempt}"
    readable = _UNSAFE.sub("-", order_id)[: _EXECUTION_NAME_LIMIT - len(suffix)]
    return f"{readable}{suffix}"


def attempt_of(execution: str | None) -> int:
    """The attempt an execution name tells (1 for the first run's name, or when the name is unknown)."""
    found = _RERUN_SUFFIX.search(execution or "")
    return int(found.group(1)) if found else 1
